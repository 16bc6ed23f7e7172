#include <utility>  // before Asio: Boost 1.74's Asio needs std::exchange under C++20

#include "server/http_server.hpp"

#include "server/http_request_reader.hpp"

#include <deque>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace dort::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket socket, api& handler, const http_options& options)
      : stream_(std::move(socket)), handler_(handler), options_(options) {}

  void start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

 private:
  void read() {
    parser_.emplace();
    limit_parser(*parser_, options_.max_body_bytes);
    stream_.expires_after(options_.idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    auto read = read_result(ec, *parser_);
    if (read.what == request_read::outcome::closed) return close();
    if (read.what == request_read::outcome::malformed)
      return write(error_response(bad_request(std::move(read.why))), false);
    handler_.handle(read.request, [self = shared_from_this(),
                                   keep_alive = read.keep_alive](http_response response) {
      asio::post(self->stream_.get_executor(),
                 [self, keep_alive, response = std::move(response)]() mutable {
                   self->write(std::move(response), keep_alive);
                 });
    });
  }

  void write(http_response response, bool keep_alive) {
    if (response.stream) return write_stream_head(std::move(response));
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(response.status), 11);
    res->set(http::field::server, "dort");
    res->set(http::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers) res->set(name, value);
    res->keep_alive(keep_alive);
    res->body() = std::move(response.body);
    res->prepare_payload();
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep_alive](beast::error_code ec,
                                                                   std::size_t) {
                        if (ec || !keep_alive) return self->close();
                        self->read();
                      });
  }

  // -- streamed responses (server-sent events) ------------------------------------------------
  // The head goes out without a length; pieces follow as the source writes them, with a comment
  // line every 15 s while it is quiet; the connection closes at the end of the stream.

  void write_stream_head(http_response response) {
    source_ = std::move(response.stream);
    stream_head_.emplace(static_cast<http::status>(response.status), 11);
    stream_head_->set(http::field::server, "dort");
    stream_head_->set(http::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers) stream_head_->set(name, value);
    stream_head_->keep_alive(false);
    head_serializer_.emplace(*stream_head_);
    stream_.expires_never();  // a stream may stay quiet for long; keep-alive comments show life
    http::async_write_header(stream_, *head_serializer_,
                             [self = shared_from_this()](beast::error_code ec, std::size_t) {
                               if (ec) return self->close();
                               self->start_stream();
                             });
  }

  void start_stream() {
    std::weak_ptr<session> weak = shared_from_this();
    auto executor = stream_.get_executor();
    source_->start(
        [weak, executor](std::string piece) {
          asio::post(executor, [weak, piece = std::move(piece)]() mutable {
            if (auto self = weak.lock()) self->queue_piece(std::move(piece));
          });
        },
        [weak, executor] {
          asio::post(executor, [weak] {
            if (auto self = weak.lock()) self->end_stream();
          });
        });
    keep_alive_tick();
  }

  void keep_alive_tick() {
    if (!keep_alive_timer_) keep_alive_timer_.emplace(stream_.get_executor());
    keep_alive_timer_->expires_after(std::chrono::seconds{15});
    // The pending wait owns the session while the stream is quiet; closing cancels it.
    keep_alive_timer_->async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->stream_closed_) return;
      self->queue_piece(": keep-alive\n\n");
      self->keep_alive_tick();
    });
  }

  void queue_piece(std::string piece) {
    if (stream_closed_) return;
    pieces_.push_back(std::move(piece));
    if (!writing_) write_next_piece();
  }

  void write_next_piece() {
    if (pieces_.empty()) {
      writing_ = false;
      if (stream_ended_) close();
      return;
    }
    writing_ = true;
    asio::async_write(stream_, asio::buffer(pieces_.front()),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        self->pieces_.pop_front();
                        if (ec) return self->close();  // the client left
                        self->write_next_piece();
                      });
  }

  void end_stream() {
    stream_ended_ = true;
    if (!writing_) close();
  }

  void close() {
    if (source_) {
      source_->stop();
      source_.reset();
    }
    stream_closed_ = true;
    if (keep_alive_timer_) keep_alive_timer_->cancel();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<request_parser> parser_;
  // Streamed response state.
  std::shared_ptr<stream_source> source_;
  std::optional<http::response<http::empty_body>> stream_head_;
  std::optional<http::response_serializer<http::empty_body>> head_serializer_;
  std::optional<asio::steady_timer> keep_alive_timer_;
  std::deque<std::string> pieces_;
  bool writing_ = false;
  bool stream_ended_ = false;
  bool stream_closed_ = false;
  api& handler_;
  const http_options& options_;
};

}  // namespace

struct http_server::impl {
  impl(api& h, http_options o)
      : handler(h), options(std::move(o)), context(static_cast<int>(options.threads)),
        acceptor(asio::make_strand(context)), signals(context, SIGTERM, SIGINT) {}

  void accept() {
    acceptor.async_accept(asio::make_strand(context), [this](beast::error_code ec,
                                                             tcp::socket socket) {
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      } else {
        std::make_shared<session>(std::move(socket), handler, options)->start();
      }
      accept();
    });
  }

  api& handler;
  http_options options;
  asio::io_context context;
  tcp::acceptor acceptor;
  asio::signal_set signals;
};

http_server::http_server(api& handler, http_options options)
    : impl_(std::make_unique<impl>(handler, std::move(options))) {
  auto address = asio::ip::make_address(impl_->options.address);
  tcp::endpoint endpoint{address, impl_->options.port};
  auto& a = impl_->acceptor;
  a.open(endpoint.protocol());
  a.set_option(asio::socket_base::reuse_address(true));
  a.bind(endpoint);
  a.listen(asio::socket_base::max_listen_connections);
  impl_->accept();
}

http_server::~http_server() { stop(); }

std::uint16_t http_server::port() const { return impl_->acceptor.local_endpoint().port(); }

void http_server::run() {
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < impl_->options.threads; ++i)
    threads.emplace_back([this] { impl_->context.run(); });
  impl_->context.run();
  for (auto& t : threads) t.join();
}

void http_server::stop_accepting() {
  asio::post(impl_->acceptor.get_executor(), [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
  });
}

void http_server::stop() { impl_->context.stop(); }

void http_server::on_signal(std::function<void(int)> fn) {
  impl_->signals.async_wait([fn = std::move(fn)](beast::error_code ec, int signal) {
    if (!ec) fn(signal);
  });
}

}  // namespace dort::server
