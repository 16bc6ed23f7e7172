// bench_transfers (BENCHMARKS.md, "Objects calling objects"): 1,000 `account` objects, each given
// 1,000,000 by a deposit; 8 client actors × 128 in flight send 200,000 transfers of 1 between
// random distinct accounts — each a debit plus a durable send of the credit — measured until
// every credit has been applied.
// credit_lag: from a transfer's reply to the run of its credit's handler. The k-th transfer reply
// of an account is its k-th durable send (sequence k on a fresh directory: the accounts send
// nothing else and no transfer is refused), which the receiver's handler sees as its origin.
// verified: every reply a balance, every account's `received` and `sent` adding up to 200,000
// each, and the balances to 1,000,000,000.
#include <mutex>
#include <random>
#include <unordered_map>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include "bench/bench_util.hpp"
#include "samples/account/account.hpp"

namespace {

constexpr const char* bench_name = "transfers";
constexpr std::uint64_t default_accounts = 1'000;
constexpr std::uint64_t default_transfers = 200'000;
constexpr std::uint64_t default_clients = 8;
constexpr std::uint64_t default_in_flight = 128;
constexpr std::int64_t deposit_amount = 1'000'000;

using dort::bench::clock;

/// When each credit's handler ran, by (sender, sequence).
class credit_clock {
 public:
  void applied(const dort::object_id& sender, std::uint64_t seq) {
    auto at = clock::now();
    std::lock_guard guard{mutex_};
    auto& times = by_sender_[sender];
    if (times.size() < seq) times.resize(seq);
    times[seq - 1] = at;
  }

  std::optional<clock::time_point> at(const dort::object_id& sender, std::uint64_t seq) {
    std::lock_guard guard{mutex_};
    auto it = by_sender_.find(sender);
    if (it == by_sender_.end() || it->second.size() < seq) return std::nullopt;
    return it->second[seq - 1];
  }

 private:
  std::mutex mutex_;
  std::unordered_map<dort::object_id, std::vector<clock::time_point>, dort::object_id_hash>
      by_sender_;
};

credit_clock credits;

/// The sample account, timing its credits.
class timed_account : public dort::samples::account {
 public:
  using account::account;

  std::string handle(std::string_view method, std::string_view payload) override {
    auto reply = account::handle(method, payload);
    if (method == "credit")
      if (const auto* origin = durable_sender()) credits.applied(origin->sender, origin->seq);
    return reply;
  }
};

struct client_state {
  std::vector<dort::object_stub>* stubs;
  std::uint64_t to_send = 0;
  std::uint64_t in_flight = 0;
  std::uint64_t sent = 0;
  std::uint64_t replies = 0;
  std::uint64_t errors = 0;
  std::string first_error;
  std::mt19937_64 random;
  std::atomic<std::uint64_t>* progress;
  std::vector<std::int64_t> latencies_ns;
  /// (sender index, reply time) per reply, for the credit lag.
  std::vector<std::pair<std::uint32_t, clock::time_point>> reply_times;
};

void send_transfer(caf::event_based_actor* self, const std::shared_ptr<client_state>& st) {
  auto& stubs = *st->stubs;
  std::uniform_int_distribution<std::uint32_t> pick{0, static_cast<std::uint32_t>(stubs.size() - 1)};
  std::uint32_t from = pick(st->random);
  std::uint32_t to = pick(st->random);
  while (to == from) to = pick(st->random);
  ++st->sent;
  auto sent_at = clock::now();
  stubs[from].request(
      self, "transfer", R"({"to":")" + stubs[to].name() + R"(","amount":1})",
      [self, st, from, sent_at](dort::expected<std::string> reply) {
        auto now = clock::now();
        st->latencies_ns.push_back(dort::bench::ns_between(sent_at, now));
        if (!reply || reply.value().find("\"balance\"") == std::string::npos) {
          if (st->errors++ == 0)
            st->first_error = reply ? "unexpected reply " + reply.value()
                                    : std::string{reply.err().what()};
        } else {
          st->reply_times.emplace_back(from, now);
        }
        ++st->replies;
        st->progress->fetch_add(1, std::memory_order_relaxed);
        if (st->sent < st->to_send)
          send_transfer(self, st);
        else if (st->replies == st->to_send)
          self->quit();
      });
}

}  // namespace

int main(int argc, char** argv) {
  dort::bench::flags args{argc, argv, {"accounts", "transfers", "clients", "in-flight"}};
  const std::uint64_t accounts = std::max<std::uint64_t>(2, args.get("accounts", default_accounts));
  const std::uint64_t transfers = args.get("transfers", default_transfers);
  const std::uint64_t clients = std::max<std::uint64_t>(1, args.get("clients", default_clients));
  const std::uint64_t in_flight = std::max<std::uint64_t>(1, args.get("in-flight", default_in_flight));

  dort::bench::temp_dir dir;
  dort::bench::json_line result;
  result.add("bench", bench_name)
      .add("accounts", accounts)
      .add("transfers", transfers)
      .add("clients", clients)
      .add("in_flight", in_flight);
  return dort::bench::report(bench_name, result, dir, [&] {
    std::cerr << bench_name << ": " << transfers << " transfers over " << accounts
              << " accounts, data in " << dir.path() << '\n';
    dort::runtime rt{dort::bench::bench_options(dir.path())};
    rt.register_class<timed_account>("account");
    std::vector<dort::object_stub> stubs;
    for (std::uint64_t i = 0; i < accounts; ++i)
      stubs.push_back(rt.get("account", "a" + std::to_string(i)));
    bool deposits_ok = true;
    for (auto& stub : stubs)
      deposits_ok = deposits_ok &&
                    stub.try_call("deposit", R"({"amount":)" + std::to_string(deposit_amount) + "}")
                        .has_value();
    auto before = rt.stats();

    std::atomic<std::uint64_t> progress{0};
    std::vector<std::shared_ptr<client_state>> states;
    std::vector<caf::actor> actors;
    auto start = clock::now();
    for (std::uint64_t c = 0; c < clients; ++c) {
      auto st = std::make_shared<client_state>();
      st->stubs = &stubs;
      st->to_send = transfers / clients + (c < transfers % clients ? 1 : 0);
      st->random.seed(42 + c);
      st->progress = &progress;
      st->latencies_ns.reserve(st->to_send);
      states.push_back(st);
      if (st->to_send == 0) continue;
      actors.push_back(rt.system().spawn([st, in_flight](caf::event_based_actor* self) {
        for (std::uint64_t i = 0; i < in_flight && st->sent < st->to_send; ++i)
          send_transfer(self, st);
      }));
    }
    if (!dort::bench::wait_until_quit(actors, "transfers", [&] { return progress.load(); },
                                      transfers))
      dort::bench::give_up(bench_name, "the clients did not finish in time", dir);
    auto replied = clock::now();
    auto applied = [&] { return rt.stats().durable_applied - before.durable_applied; };
    if (!dort::bench::wait_until_true([&] { return applied() >= transfers; }, "credits", applied,
                                      transfers))
      dort::bench::give_up(bench_name, "the credits were not all applied in time", dir);
    double elapsed = dort::bench::seconds_between(start, clock::now());
    auto after = rt.stats();

    // Credit lag: the k-th reply of account i is its send number k.
    std::vector<std::vector<clock::time_point>> replies_of(accounts);
    std::vector<std::int64_t> latencies_ns;
    std::uint64_t errors = 0;
    for (auto& st : states) {
      errors += st->errors;
      if (st->errors) std::cerr << "error: " << st->first_error << '\n';
      latencies_ns.insert(latencies_ns.end(), st->latencies_ns.begin(), st->latencies_ns.end());
      for (auto& [from, at] : st->reply_times) replies_of[from].push_back(at);
    }
    std::vector<std::int64_t> lag_ns;
    for (std::uint64_t i = 0; i < accounts; ++i) {
      auto& times = replies_of[i];
      std::sort(times.begin(), times.end());  // per account, replies leave in send order
      for (std::size_t k = 0; k < times.size(); ++k)
        if (auto at = credits.at(stubs[i].id(), k + 1))
          lag_ns.push_back(std::max<std::int64_t>(0, dort::bench::ns_between(times[k], *at)));
    }

    std::int64_t balances = 0, received = 0, sent = 0;
    bool reads_ok = true;
    for (auto& stub : stubs) {
      auto reply = stub.try_call("balance");
      if (!reply) {
        reads_ok = false;
        continue;
      }
      dort::json_object_reader body{reply.value()};
      balances += body.required_int64("balance");
      received += body.required_int64("received");
      sent += body.required_int64("sent");
    }
    auto total = static_cast<std::int64_t>(transfers);
    bool verified = deposits_ok && reads_ok && errors == 0 && received == total &&
                    sent == total &&
                    balances == deposit_amount * static_cast<std::int64_t>(accounts) &&
                    lag_ns.size() == transfers;
    std::cerr << "replies in " << dort::bench::seconds_between(start, replied) << " s; credits in "
              << elapsed << " s; received " << received << ", sent " << sent << ", balances "
              << balances << '\n';
    result.add("transfers_per_s", static_cast<double>(transfers) / elapsed, 0)
        .add("p50_us", dort::bench::percentile_us(latencies_ns, 50), 1)
        .add("p99_us", dort::bench::percentile_us(latencies_ns, 99), 1)
        .add("credit_lag_p99_ms", dort::bench::percentile_us(lag_ns, 99) / 1000.0, 2)
        .add("commits", after.commits - before.commits)
        .add("writes", after.writes - before.writes)
        .add("writes_per_transfer",
             static_cast<double>(after.writes - before.writes) / static_cast<double>(transfers), 2)
        .add("duplicates", after.durable_duplicates - before.durable_duplicates)
        .add("retries", after.durable_retries - before.durable_retries);
    return verified;
  });
}
