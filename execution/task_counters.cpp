#include "execution/task_counters.hpp"

#include "actors/json_reader.hpp"

namespace dort {

namespace {

constexpr std::string_view stored_names[] = {"pending", "running", "completed",
                                             "failed",  "rateLimited", "cancelled"};

}  // namespace

std::string task_counters::metrics_json() const {
  auto average = [this](std::int64_t sum) {
    return finished == 0 ? 0.0 : static_cast<double>(sum) / static_cast<double>(finished);
  };
  json_writer out;
  out.begin_object().key("total").value(total());
  for (std::size_t i = 0; i < by_status.size(); ++i) out.key(stored_names[i]).value(by_status[i]);
  out.key("averageDuration").value(average(duration_sum));
  out.key("averageRetries").value(average(retries_sum));
  out.end_object();
  return out.str();
}

std::string task_counters::encode() const {
  json_writer out;
  out.begin_object().key("next").value(next_seq);
  for (std::size_t i = 0; i < by_status.size(); ++i) out.key(stored_names[i]).value(by_status[i]);
  out.key("finished").value(finished).key("durationSum").value(duration_sum);
  out.key("retriesSum").value(retries_sum);
  if (starts != 0) out.key("starts").value(starts);
  if (ungrouped_last_start != 0) out.key("ungroupedLastStart").value(ungrouped_last_start);
  out.end_object();
  return out.str();
}

task_counters task_counters::decode(std::string_view stored) {
  json_object_reader in{stored};
  task_counters c;
  c.next_seq = static_cast<std::uint64_t>(in.required_int64("next"));
  for (std::size_t i = 0; i < c.by_status.size(); ++i)
    c.by_status[i] = in.int64(stored_names[i]).value_or(0);
  c.finished = in.int64("finished").value_or(0);
  c.duration_sum = in.int64("durationSum").value_or(0);
  c.retries_sum = in.int64("retriesSum").value_or(0);
  c.starts = static_cast<std::uint64_t>(in.int64("starts").value_or(0));
  c.ungrouped_last_start = static_cast<std::uint64_t>(in.int64("ungroupedLastStart").value_or(0));
  return c;
}

}  // namespace dort
