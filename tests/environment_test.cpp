#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "child_process.hpp"
#include "error_code_of.hpp"
#include "store_fixture.hpp"

TEST_SUITE_BEGIN("without_caf");

using namespace dort;
using dort::test::code_of;
using dort::test::store_fixture;
using dort::test::temp_dir;
using dort::test::test_store;

TEST_CASE("the map grows by itself from a tiny initial map") {
  environment_options options;
  options.initial_map_bytes = 64 * 1024;
  store_fixture f{options};
  test_store s{f.env, f.writer, "a"};
  std::size_t initial = f.env.map_bytes();
  const std::string value(100 * 1024, 'v');
  for (int i = 0; i < 64; ++i) {
    s.view().put("k" + std::to_string(i), value);
    s.commit();
  }
  CHECK(f.env.map_growths() > 0);
  CHECK(f.env.map_bytes() > initial);
  for (int i = 0; i < 64; ++i) CHECK(s.view().get("k" + std::to_string(i)) == value);
}

TEST_CASE("a write past the maximum database size fails with storage_full and writes nothing") {
  environment_options options;
  options.initial_map_bytes = 256 * 1024;
  options.max_map_bytes = 512 * 1024;
  store_fixture f{options};
  test_store s{f.env, f.writer, "a"};
  s.view().put("small", "kept");
  s.commit();
  s.view().put("big", std::string(800 * 1024, 'v'));
  s.view().put("small", "lost");
  try {
    s.commit();
    FAIL("the commit should fail");
  } catch (const error& e) {
    CHECK(e.code() == errc::storage_full);
  }
  s.store().reset();
  CHECK(s.view().get("small") == "kept");  // reads go on, and see only what is on disk
  CHECK_FALSE(s.view().get("big").has_value());
}

TEST_CASE("writes that do not fit fail alone - the other objects committed with them succeed") {
  environment_options options;
  options.initial_map_bytes = 64 * 1024;
  options.max_map_bytes = 1024 * 1024;
  store_fixture f{options};
  test_store first{f.env, f.writer, "first"};
  test_store big{f.env, f.writer, "big"};
  std::vector<std::unique_ptr<test_store>> small;
  for (int i = 0; i < 10; ++i)
    small.push_back(std::make_unique<test_store>(f.env, f.writer, "small" + std::to_string(i)));
  std::optional<std::uint64_t> first_seq, big_seq;
  std::vector<std::optional<std::uint64_t>> small_seqs;
  {
    // The map cannot grow while a read transaction is open: the writer waits in `first`'s commit,
    // which needs a larger map, while the others queue up behind it for one batch.
    auto reading = f.env.begin_read();
    first.view().put("k", std::string(100 * 1024, 'f'));
    first_seq = first.hand_over();
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
    for (auto key : {"a", "b", "c"}) big.view().put(key, std::string(600 * 1024, 'b'));
    big_seq = big.hand_over();
    for (auto& s : small) {
      s->view().put("k", "v");
      small_seqs.push_back(s->hand_over());
    }
  }
  first.wait_durable(first_seq);
  CHECK(code_of([&] { big.wait_durable(big_seq); }) == errc::storage_full);
  for (std::size_t i = 0; i < small.size(); ++i) {
    CAPTURE(i);
    small[i]->wait_durable(small_seqs[i]);  // throws if it failed
    CHECK(small[i]->view().get("k") == "v");
  }
  CHECK(f.env.map_bytes() <= options.max_map_bytes);
}

TEST_CASE("writes survive closing and reopening - in both durability modes") {
  for (auto mode : {durability::strict, durability::relaxed}) {
    temp_dir dir;
    environment_options options;
    options.dir = dir.path();
    options.mode = mode;
    {
      environment env{options};
      group_commit writer{env};
      test_store s{env, writer, "a"};
      s.view().put("k", "v");
      s.commit();
    }
    environment env{options};
    group_commit writer{env};
    test_store s{env, writer, "a"};
    CHECK(s.view().get("k") == "v");
  }
}

TEST_CASE("a second process cannot open a data directory for writing") {
  store_fixture f;
  environment_options options;
  options.dir = f.dir.path();
  try {
    environment second{options};
    FAIL("the second open should fail");
  } catch (const error& e) {
    CHECK(e.code() == errc::data_dir_locked);
  }
}

namespace {

/// Starts a process that reads `dir` and kills it mid-read, leaving its reader slot taken.
void kill_a_reader_mid_read(const std::filesystem::path& dir) {
  dort::test::child_process reader{{"hold-read", dir.string()}};
  std::string out;
  while (out.find("reading\n") == std::string::npos) REQUIRE(reader.read_for(10'000, out));
  reader.kill_hard();
  reader.wait();
}

}  // namespace

TEST_CASE("reader slots of killed processes are freed - on demand and by the writer in time") {
  SUBCASE("on demand") {
    store_fixture f;
    kill_a_reader_mid_read(f.dir.path());
    CHECK(f.env.clear_stale_readers() == 1);
    CHECK(f.env.clear_stale_readers() == 0);
  }
  SUBCASE("before a write once the interval has passed") {
    environment_options options;
    options.stale_reader_check_interval = std::chrono::milliseconds{0};
    store_fixture f{options};
    kill_a_reader_mid_read(f.dir.path());
    test_store s{f.env, f.writer, "a"};
    s.view().put("k", "v");
    s.commit();
    CHECK(f.env.clear_stale_readers() == 0);  // the write freed it
  }
}

TEST_CASE("read-only mode refuses a directory that does not exist") {
  environment_options options;
  options.dir = "/nonexistent/dort-data";
  options.read_only = true;
  CHECK_THROWS_AS(environment{options}, error);
}
TEST_SUITE_END();

TEST_SUITE_BEGIN("without_caf");

TEST_CASE("writes to another database commit with the object's writes or not at all") {
  store_fixture f;
  MDB_dbi index = f.env.open_db("test_index");
  test_store s{f.env, f.writer, "a"};
  s.view().put("k", "v");
  s.store().add_raw_write(raw_write{index, "entry", std::string{"1"}});
  s.commit();
  {
    auto txn = f.env.begin_read();
    CHECK(txn.get(index, "entry") == "1");
  }
  s.store().add_raw_write(raw_write{index, "dropped", std::string{"2"}});
  s.store().discard_message();  // the handler threw
  s.store().add_raw_write(raw_write{index, "entry", std::nullopt});
  s.commit();  // a message may write only to other databases
  auto txn = f.env.begin_read();
  CHECK_FALSE(txn.get(index, "entry").has_value());
  CHECK_FALSE(txn.get(index, "dropped").has_value());
  CHECK(s.view().get("k") == "v");
}

TEST_SUITE_END();
