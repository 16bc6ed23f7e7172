#include "execution/http_task.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/json_reader.hpp"
#include "actors/json_writer.hpp"
#include "execution/curl_loop.hpp"
#include "execution/execution_object.hpp"
#include "execution/task_services.hpp"
#include "persistence/error.hpp"

namespace dort {

namespace {

/// Redirects followed per call (API.md). One more fails the call permanently: the target keeps
/// answering 3xx, as a 3xx that is not followed does.
constexpr long max_redirects = 5;

/// Response body bytes read. The output holds the body (as JSON, minified, or as a string), so a
/// body much longer than the output limit can only fail with output_too_large: the call stops
/// reading there instead of buffering it. The margin is for whitespace a JSON body loses.
constexpr std::size_t max_response_body_bytes = execution_object::max_output_bytes + 64 * 1024;

/// Longest URL accepted; most servers refuse far shorter ones (8 KiB is a common limit).
constexpr std::size_t max_url_bytes = 16 * 1024;

/// Request headers per call; more is a mistake rather than a need.
constexpr std::size_t max_headers = 100;

constexpr std::array<std::string_view, 7> methods{"GET",    "HEAD",   "POST",   "PUT",
                                                  "PATCH",  "DELETE", "OPTIONS"};

// -- input ---------------------------------------------------------------------------------------

struct http_request {
  std::string url;
  std::string method = "POST";
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> body;
  bool body_is_json = false;
};

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string read_url(const json_object_reader& in) {
  auto bad = [](const std::string& why) { return error{errc::invalid_field, why, "input.url"}; };
  if (!in.has("url")) throw bad("'input.url' is required: the http:// or https:// URL to call");
  auto url = *in.string("url");
  if (url.size() > max_url_bytes)
    throw bad("'input.url' is over " + std::to_string(max_url_bytes) + " bytes");
  init_curl_once();
  std::unique_ptr<CURLU, void (*)(CURLU*)> parsed{curl_url(), curl_url_cleanup};
  char* scheme = nullptr;
  if (!parsed || url.find('\0') != std::string::npos ||
      curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK ||
      curl_url_get(parsed.get(), CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
    throw bad("'input.url' must be an http:// or https:// URL");
  std::string_view s{scheme};
  bool web = s == "http" || s == "https";
  curl_free(scheme);
  if (!web) throw bad("'input.url' must be an http:// or https:// URL");
  return url;
}

std::string read_method(const json_object_reader& in) {
  auto method = in.string("method").value_or("POST");
  if (std::find(methods.begin(), methods.end(), method) == methods.end())
    throw error{errc::invalid_field,
                "'input.method' must be GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS",
                "input.method"};
  return method;
}

/// A header name is an RFC 9110 token; a value holds no line break (which would inject headers).
bool valid_header(std::string_view name, std::string_view value) {
  auto token = [](unsigned char c) {
    return std::isalnum(c) || std::string_view{"!#$%&'*+-.^_`|~"}.find(static_cast<char>(c)) !=
                                  std::string_view::npos;
  };
  return !name.empty() && std::all_of(name.begin(), name.end(), token) &&
         value.find_first_of(std::string_view{"\r\n\0", 3}) == std::string_view::npos;
}

std::vector<std::pair<std::string, std::string>> read_headers(const std::string& json) {
  auto bad = [] {
    return error{errc::invalid_field,
                 "'input.headers' must be an object of at most " + std::to_string(max_headers) +
                     " header names and string values",
                 "input.headers"};
  };
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(json).get(object) != simdjson::SUCCESS || object.size() > max_headers)
    throw bad();
  std::vector<std::pair<std::string, std::string>> headers;
  for (auto field : object) {
    std::string_view value;
    if (field.value.get(value) != simdjson::SUCCESS || !valid_header(field.key, value))
      throw bad();
    headers.emplace_back(field.key, value);
  }
  return headers;
}

http_request read_http_input(std::string_view input) {
  json_object_reader in{input == "null" ? std::string_view{"{}"} : input, "input"};
  in.allow_only({"url", "method", "headers", "body"});
  http_request r;
  r.url = read_url(in);
  r.method = read_method(in);
  if (auto headers = in.raw("headers")) r.headers = read_headers(*headers);
  if (in.has("body") && !in.is_null("body")) {
    auto raw = in.raw("body");
    r.body_is_json = raw->front() != '"';
    r.body = r.body_is_json ? *raw : *in.string("body");
  }
  if (r.method == "HEAD" && r.body)
    throw error{errc::invalid_field, "a HEAD request has no 'input.body'", "input.body"};
  return r;
}

// -- output --------------------------------------------------------------------------------------

/// Whether `content_type` names JSON: application/json or any */*+json, parameters aside.
bool is_json_media_type(const char* content_type) {
  if (content_type == nullptr) return false;
  std::string_view type{content_type};
  type = type.substr(0, type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  constexpr std::string_view suffix = "+json";
  return equals_ignoring_case(type, "application/json") ||
         (type.size() > suffix.size() &&
          equals_ignoring_case(type.substr(type.size() - suffix.size()), suffix));
}

/// Returns `text` with each byte that is not part of valid UTF-8 replaced by U+FFFD, so that any
/// body can become a JSON string.
std::string valid_utf8(std::string text) {
  if (simdjson::validate_utf8(text.data(), text.size())) return text;
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    std::size_t n = 1;
    while (n <= 4 && !(i + n <= text.size() && simdjson::validate_utf8(text.data() + i, n))) ++n;
    if (n > 4) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text, i, n);
      i += n;
    }
  }
  return out;
}

/// The attempt's output: {"status", "body"}, the body parsed if it is JSON by its Content-Type
/// and valid, else a string; null when empty.
std::string response_output(long status, const char* content_type, std::string body) {
  json_writer out;
  out.begin_object().key("status").value(static_cast<std::int64_t>(status)).key("body");
  if (body.empty()) return out.null().end_object().str();
  if (is_json_media_type(content_type))
    if (auto json = minified_json(body)) return out.raw(*json).end_object().str();
  return out.value(valid_utf8(std::move(body))).end_object().str();
}

// -- the call ------------------------------------------------------------------------------------

class http_call final : public curl_transfer {
 public:
  http_call(std::shared_ptr<task_attempt> attempt, http_request request)
      : attempt_(std::move(attempt)), request_(std::move(request)) {
    configure();
  }

  ~http_call() override { curl_slist_free_all(headers_); }

  void finished(CURLcode result) noexcept override {
    try {
      if (result == CURLE_OK)
        on_response();
      else
        on_error(result);
    } catch (const std::exception& e) {
      attempt_->fail(std::string{"the http task failed: "} + e.what());
    }
  }

 private:
  void configure() {
    CURL* e = easy();
    curl_easy_setopt(e, CURLOPT_URL, request_.url.c_str());
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, max_redirects);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(attempt_->timeout_ms()));
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");  // every encoding libcurl decodes
    curl_easy_setopt(e, CURLOPT_USERAGENT, "dort");
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errors_.data());
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &http_call::on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, this);
    // libcurl calls this at least once a second and on every wake-up of the loop; a cancelled
    // or timed-out task's call ends there instead of running on to its answer or timeout.
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, &http_call::on_progress);
    curl_easy_setopt(e, CURLOPT_XFERINFODATA, this);
    configure_method(e);
    configure_headers(e);
  }

  void configure_method(CURL* e) {
    const auto& method = request_.method;
    if (method == "HEAD")
      curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    else if (method == "GET" && !request_.body)
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    else if (method == "POST")
      curl_easy_setopt(e, CURLOPT_POST, 1L);
    else  // PUT, PATCH, DELETE, OPTIONS, or a GET with a body
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (request_.body || method == "POST") {
      const auto& body = request_.body ? *request_.body : empty_body_;
      // Not copied by libcurl: the body lives as long as this call.
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, body.c_str());
    }
  }

  void configure_headers(CURL* e) {
    auto has = [&](std::string_view name) {
      return std::any_of(request_.headers.begin(), request_.headers.end(),
                         [&](const auto& h) { return equals_ignoring_case(h.first, name); });
    };
    for (const auto& [name, value] : request_.headers)  // "Name;" is libcurl's empty value
      append_header(value.empty() ? name + ";" : name + ": " + value);
    if (!has("Content-Type")) {
      if (!request_.body)
        append_header("Content-Type:");  // drops libcurl's form type from a POST without body
      else if (request_.body_is_json)
        append_header("Content-Type: application/json");
      else
        append_header("Content-Type: text/plain; charset=utf-8");
    }
    if (!has("Expect")) append_header("Expect:");  // no 100-continue round trip
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers_);
  }

  void append_header(const std::string& line) {
    auto* list = curl_slist_append(headers_, line.c_str());
    if (list == nullptr) throw std::bad_alloc{};
    headers_ = list;
  }

  /// Keeps the body of a 2xx answer up to `max_response_body_bytes`; past it aborts the call.
  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* self) {
    auto& call = *static_cast<http_call*>(self);
    const auto bytes = size * count;
    long status = 0;
    curl_easy_getinfo(call.easy(), CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) return bytes;  // only a 2xx body becomes output
    if (call.body_.size() + bytes > max_response_body_bytes) {
      call.too_large_ = true;
      return 0;  // anything but `bytes` aborts the transfer
    }
    call.body_.append(data, bytes);
    return bytes;
  }

  /// Aborts the call once its attempt is abandoned (any nonzero answer does).
  static int on_progress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<http_call*>(self)->attempt_->abandoned() ? 1 : 0;
  }

  void on_response() {
    long status = 0;
    curl_easy_getinfo(easy(), CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status <= 299) {
      char* content_type = nullptr;
      curl_easy_getinfo(easy(), CURLINFO_CONTENT_TYPE, &content_type);
      attempt_->complete(response_output(status, content_type, std::move(body_)));
      return;
    }
    bool retryable = status == 408 || status == 429 || status >= 500;
    attempt_->fail("HTTP " + std::to_string(status), !retryable);
  }

  void on_error(CURLcode result) {
    std::string detail = errors_[0] != '\0' ? errors_.data() : curl_easy_strerror(result);
    switch (result) {
      case CURLE_WRITE_ERROR:
        if (too_large_) return attempt_->fail("output_too_large", true);
        break;
      case CURLE_OPERATION_TIMEDOUT:
        return attempt_->fail("timed out after " + std::to_string(attempt_->timeout_ms()) + " ms");
      case CURLE_COULDNT_CONNECT:
        return attempt_->fail("couldn't connect: " + detail);
      case CURLE_TOO_MANY_REDIRECTS:
        return attempt_->fail("more than " + std::to_string(max_redirects) + " redirects", true);
      case CURLE_ABORTED_BY_CALLBACK:  // nobody listens any more: see on_progress
        return attempt_->fail("the call was aborted: its attempt was abandoned");
      case CURLE_UNSUPPORTED_PROTOCOL:  // a redirect to a scheme other than http(s)
      case CURLE_URL_MALFORMAT:
        return attempt_->fail(detail, true);
      default:
        break;
    }
    attempt_->fail(detail);
  }

  inline static const std::string empty_body_;
  const std::shared_ptr<task_attempt> attempt_;
  const http_request request_;
  curl_slist* headers_ = nullptr;
  std::array<char, CURL_ERROR_SIZE> errors_{};
  std::string body_;
  bool too_large_ = false;
};

}  // namespace

void check_http_input(std::string_view input_json) {
  read_http_input(input_json);
}

std::optional<std::string> http_circuit_host(std::string_view input_json) {
  std::string url;
  try {
    url = read_url(json_object_reader{input_json});
  } catch (const error&) {
    return std::nullopt;  // refused at submit already: such an attempt makes no call
  }
  std::unique_ptr<CURLU, void (*)(CURLU*)> parsed{curl_url(), curl_url_cleanup};
  if (!parsed || curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
    return std::nullopt;
  std::string host;
  for (auto [part, flags] : {std::pair{CURLUPART_SCHEME, 0u}, std::pair{CURLUPART_HOST, 0u},
                             std::pair{CURLUPART_PORT, static_cast<unsigned>(CURLU_DEFAULT_PORT)}}) {
    char* text = nullptr;
    if (curl_url_get(parsed.get(), part, &text, flags) != CURLUE_OK) return std::nullopt;
    host += text;
    host += part == CURLUPART_SCHEME ? "://" : part == CURLUPART_HOST ? ":" : "";
    curl_free(text);
  }
  // Host names are case-insensitive: one circuit for Example.com and example.com.
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return host;
}

void add_http_handler(task_services& services) {
  // Shared by the copies of the handler; destroyed, and so stopped, with the last of them.
  auto loop = std::make_shared<curl_loop>();
  services.handlers.add(
      "http",
      [loop](std::shared_ptr<task_attempt> attempt) {
        http_request request;
        try {
          request = read_http_input(attempt->input());
        } catch (const error& e) {
          return attempt->fail(e.what(), true);  // checked at submit: only a changed rule gets here
        }
        attempt->on_abandon([weak_loop = std::weak_ptr<curl_loop>{loop}] {
          if (auto live = weak_loop.lock()) live->wake();
        });
        if (!loop->start(std::make_unique<http_call>(attempt, std::move(request))))
          attempt->fail("more than " + std::to_string(curl_loop::max_transfers) +
                        " http calls in flight");
      },
      check_http_input);
}

}  // namespace dort
