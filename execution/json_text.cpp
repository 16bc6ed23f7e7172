#include "execution/json_text.hpp"

#include "persistence/error.hpp"

namespace dort::json_text {

namespace {

[[noreturn]] void damaged() {
  throw error{errc::storage_failure, "malformed JSON text in a workflow"};
}

std::size_t skip_space(std::string_view text, std::size_t at) {
  while (at < text.size() && (text[at] == ' ' || text[at] == '\n' || text[at] == '\r' ||
                              text[at] == '\t'))
    ++at;
  return at;
}

std::size_t skip_string(std::string_view text, std::size_t at) {
  if (at >= text.size() || text[at] != '"') damaged();
  for (std::size_t i = at + 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
      continue;
    }
    if (text[i] == '"') return i + 1;
  }
  damaged();
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::uint32_t read_hex4(std::string_view text, std::size_t at) {
  if (at + 4 > text.size()) damaged();
  std::uint32_t v = 0;
  for (std::size_t i = at; i < at + 4; ++i) {
    char c = text[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= static_cast<std::uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f') v |= static_cast<std::uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= static_cast<std::uint32_t>(c - 'A' + 10);
    else damaged();
  }
  return v;
}

/// Calls `member(key_start, value_start)` for each member of the object at `at`; returns its end.
template <class F>
std::size_t walk_object(std::string_view text, std::size_t at, F&& member) {
  std::size_t i = skip_space(text, at + 1);
  if (i < text.size() && text[i] == '}') return i + 1;
  for (;;) {
    const auto key = i;
    i = skip_space(text, skip_string(text, i));
    if (i >= text.size() || text[i] != ':') damaged();
    i = skip_space(text, i + 1);
    member(key, i);
    i = skip_space(text, skip_value(text, i));
    if (i >= text.size()) damaged();
    if (text[i] == '}') return i + 1;
    if (text[i] != ',') damaged();
    i = skip_space(text, i + 1);
  }
}

/// Calls `element(index, value_start)` for each element of the array at `at`; returns its end.
template <class F>
std::size_t walk_array(std::string_view text, std::size_t at, F&& element) {
  std::size_t i = skip_space(text, at + 1);
  if (i < text.size() && text[i] == ']') return i + 1;
  for (std::size_t n = 0;; ++n) {
    element(n, i);
    i = skip_space(text, skip_value(text, i));
    if (i >= text.size()) damaged();
    if (text[i] == ']') return i + 1;
    if (text[i] != ',') damaged();
    i = skip_space(text, i + 1);
  }
}

void visit_references(std::string_view text, std::size_t at, const std::string& path,
                      const std::function<void(const std::string&, std::string_view)>& visit) {
  if (auto target = reference_at(text, at)) {
    visit(path, *target);
    return;
  }
  if (text[at] == '{') {
    walk_object(text, at, [&](std::size_t key, std::size_t value) {
      std::size_t end;
      visit_references(text, value, path + "." + read_string(text, key, end), visit);
    });
  } else if (text[at] == '[') {
    walk_array(text, at, [&](std::size_t n, std::size_t value) {
      visit_references(text, value, path + "[" + std::to_string(n) + "]", visit);
    });
  }
}

void replace_at(std::string_view text, std::size_t at, std::string& out,
                const std::function<std::string(std::string_view)>& resolve) {
  if (auto target = reference_at(text, at)) {
    out += resolve(*target);
    return;
  }
  if (text[at] == '{') {
    out.push_back('{');
    bool first = true;
    walk_object(text, at, [&](std::size_t key, std::size_t value) {
      if (!first) out.push_back(',');
      first = false;
      out.append(text.substr(key, skip_string(text, key) - key));
      out.push_back(':');
      replace_at(text, value, out, resolve);
    });
    out.push_back('}');
  } else if (text[at] == '[') {
    out.push_back('[');
    walk_array(text, at, [&](std::size_t n, std::size_t value) {
      if (n > 0) out.push_back(',');
      replace_at(text, value, out, resolve);
    });
    out.push_back(']');
  } else {
    out.append(text.substr(at, skip_value(text, at) - at));
  }
}

/// The next reference token of `pointer` from `at` (after its '/'), unescaped (~1 → /, ~0 → ~).
std::string pointer_token(std::string_view pointer, std::size_t& at) {
  std::string token;
  while (at < pointer.size() && pointer[at] != '/') {
    if (pointer[at] == '~' && at + 1 < pointer.size() && pointer[at + 1] == '1') {
      token.push_back('/');
      at += 2;
    } else if (pointer[at] == '~' && at + 1 < pointer.size() && pointer[at + 1] == '0') {
      token.push_back('~');
      at += 2;
    } else {
      token.push_back(pointer[at++]);
    }
  }
  return token;
}

}  // namespace

std::size_t skip_value(std::string_view text, std::size_t at) {
  at = skip_space(text, at);
  if (at >= text.size()) damaged();
  switch (text[at]) {
    case '"':
      return skip_string(text, at);
    case '{':
      return walk_object(text, at, [](std::size_t, std::size_t) {});
    case '[':
      return walk_array(text, at, [](std::size_t, std::size_t) {});
    default: {
      std::size_t i = at;
      while (i < text.size() && text[i] != ',' && text[i] != '}' && text[i] != ']' &&
             text[i] != ' ' && text[i] != '\n' && text[i] != '\r' && text[i] != '\t')
        ++i;
      if (i == at) damaged();
      return i;
    }
  }
}

std::string read_string(std::string_view text, std::size_t at, std::size_t& end) {
  end = skip_string(text, at);
  std::string out;
  for (std::size_t i = at + 1; i + 1 < end; ++i) {
    if (text[i] != '\\') {
      out.push_back(text[i]);
      continue;
    }
    char c = text[++i];
    switch (c) {
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'u': {
        std::uint32_t cp = read_hex4(text, i + 1);
        i += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < end && text[i + 1] == '\\' &&
            text[i + 2] == 'u') {
          std::uint32_t low = read_hex4(text, i + 3);
          if (low >= 0xDC00 && low < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
          }
        }
        append_utf8(out, cp);
        break;
      }
      default: out.push_back(c);  // " \ /
    }
  }
  return out;
}

std::optional<std::string_view> reference_at(std::string_view text, std::size_t at) {
  at = skip_space(text, at);
  if (at >= text.size() || text[at] != '{') return std::nullopt;
  std::size_t members = 0;
  bool is_ref = false;
  std::string_view target;
  walk_object(text, at, [&](std::size_t key, std::size_t value) {
    ++members;
    std::size_t end;
    if (read_string(text, key, end) == "$ref") {
      is_ref = true;
      target = text.substr(value, skip_value(text, value) - value);
    }
  });
  if (members != 1 || !is_ref) return std::nullopt;
  return target;
}

void for_each_reference(std::string_view text, const std::string& root,
                        const std::function<void(const std::string&, std::string_view)>& visit) {
  if (text.empty()) return;
  visit_references(text, skip_space(text, 0), root, visit);
}

std::string replace_references(std::string_view text,
                               const std::function<std::string(std::string_view)>& resolve) {
  std::string out;
  out.reserve(text.size());
  replace_at(text, skip_space(text, 0), out, resolve);
  return out;
}

std::optional<std::string_view> at_pointer(std::string_view text, std::string_view pointer) {
  std::size_t at = skip_space(text, 0);
  std::size_t p = 0;
  if (!pointer.empty() && pointer[0] != '/') return std::nullopt;
  while (p < pointer.size()) {
    ++p;  // the '/'
    const auto token = pointer_token(pointer, p);
    std::optional<std::size_t> found;
    if (text[at] == '{') {
      walk_object(text, at, [&](std::size_t key, std::size_t value) {
        std::size_t end;
        if (!found && read_string(text, key, end) == token) found = value;
      });
    } else if (text[at] == '[') {
      // An index: digits without a leading zero (RFC 6901); "-" names no element.
      if (token.empty() || token.size() > 9 || token.find_first_not_of("0123456789") !=
                                                   std::string::npos ||
          (token.size() > 1 && token[0] == '0'))
        return std::nullopt;
      const auto wanted = static_cast<std::size_t>(std::stoul(token));
      walk_array(text, at, [&](std::size_t n, std::size_t value) {
        if (n == wanted) found = value;
      });
    }
    if (!found) return std::nullopt;
    at = *found;
  }
  return text.substr(at, skip_value(text, at) - at);
}

}  // namespace dort::json_text
