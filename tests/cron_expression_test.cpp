#include <doctest/doctest.h>

#include "execution/cron_expression.hpp"
#include "utc_time.hpp"

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

using namespace dort;
using dort::test::utc;

namespace {

/// One search: `expression` from `from_ms` gives `expected_ms`. Expected values were computed
/// with Python's datetime by a brute-force matcher, not by the code under test.
struct search_case {
  std::string_view expression;
  std::int64_t from_ms;
  std::optional<std::int64_t> expected_ms;
};

cron_expression parsed(std::string_view text) {
  auto expression = cron_expression::parse(text);
  REQUIRE_MESSAGE(expression.has_value(), std::string{text});
  return *expression;
}

void check_next(std::initializer_list<search_case> cases) {
  for (const auto& c : cases) {
    INFO(std::string{c.expression}, " from ", c.from_ms);
    CHECK(parsed(c.expression).next_at_or_after(c.from_ms) == c.expected_ms);
  }
}

void check_previous(std::initializer_list<search_case> cases) {
  for (const auto& c : cases) {
    INFO(std::string{c.expression}, " from ", c.from_ms);
    CHECK(parsed(c.expression).previous_at_or_before(c.from_ms) == c.expected_ms);
  }
}

void check_refused(std::initializer_list<std::string_view> texts) {
  for (auto text : texts) {
    INFO("'", std::string{text}, "'");
    std::string why;
    CHECK_FALSE(cron_expression::parse(text, why).has_value());
    CHECK_FALSE(why.empty());
  }
}

}  // namespace

TEST_SUITE_BEGIN("without_caf");

TEST_CASE("every syntax form of a field names its values") {
  check_next({
      {"* * * * *", utc(2024, 5, 17, 10, 20), utc(2024, 5, 17, 10, 20)},
      {"30 * * * *", utc(2024, 5, 17, 10, 31), utc(2024, 5, 17, 11, 30)},
      {"0 12 * * *", utc(2024, 5, 17, 12, 0, 30), utc(2024, 5, 18, 12)},
      {"15-17 * * * *", utc(2024, 5, 17, 10, 18), utc(2024, 5, 17, 11, 15)},
      {"5,10,50 * * * *", utc(2024, 5, 17, 10, 11), utc(2024, 5, 17, 10, 50)},
      {"*/15 * * * *", utc(2024, 5, 17, 10, 46), utc(2024, 5, 17, 11)},
      // A range's step counts from its first value: 10, 17, 24.
      {"10-30/7 * * * *", utc(2024, 5, 17, 10, 25), utc(2024, 5, 17, 11, 10)},
      {"1,*/20,40-42 * * * *", utc(2024, 5, 17, 10, 41), utc(2024, 5, 17, 10, 41)},
      {"1,*/20,40-42 * * * *", utc(2024, 5, 17, 10, 43), utc(2024, 5, 17, 11)},
      {"0 9-17/4 * * *", utc(2024, 5, 17, 13, 1), utc(2024, 5, 17, 17)},
      {"0 0 1 */3 *", utc(2024, 2, 15), utc(2024, 4, 1)},
      {"0 0 1 2-3,11 *", utc(2024, 3, 2), utc(2024, 11, 1)},
      {"0 9 * * 1-5", utc(2024, 5, 18), utc(2024, 5, 20, 9)},  // Saturday to Monday
      {"0 0 * * 0", utc(2024, 5, 17), utc(2024, 5, 19)},       // 0 is Sunday
      {"0 0 * * 6", utc(2024, 5, 17), utc(2024, 5, 18)},
      {"0 0 * * */2", utc(2024, 5, 17), utc(2024, 5, 18)},  // Sun, Tue, Thu, Sat
  });
}

TEST_CASE("a matching minute is its own next run") {
  check_next({
      {"59 23 * * *", utc(2024, 5, 17, 23, 59), utc(2024, 5, 17, 23, 59)},
      {"0 0 29 2 *", utc(2024, 2, 29), utc(2024, 2, 29)},
  });
}

TEST_CASE("a time between minutes rounds up to the next minute") {
  check_next({
      {"* * * * *", utc(2024, 5, 17, 10, 20, 0, 1), utc(2024, 5, 17, 10, 21)},
      {"* * * * *", utc(2024, 5, 17, 10, 20, 59, 999), utc(2024, 5, 17, 10, 21)},
      {"59 23 31 12 *", utc(2024, 12, 31, 23, 59, 0, 1), utc(2025, 12, 31, 23, 59)},
  });
}

TEST_CASE("a day matches either day field when neither starts with a star") {
  check_next({
      {"0 0 13 * 5", utc(2024, 5, 18), utc(2024, 5, 24)},  // a Friday
      {"0 0 13 * 5", utc(2024, 6, 8), utc(2024, 6, 13)},   // a Thursday the 13th
      // Feb 31 never comes, but Mondays of February do.
      {"0 0 31 2 1", utc(2024, 3, 1), utc(2025, 2, 3)},
      // 1-31 does not start with a star: every day matches it.
      {"0 0 1-31 * 1", utc(2024, 5, 14, 0, 1), utc(2024, 5, 15)},
  });
}

// Vixie cron's rule: a day field starting with '*' (also "*/2") makes the day need both fields.
TEST_CASE("a day field starting with a star makes a day match both day fields") {
  check_next({
      {"0 0 13 * *", utc(2024, 5, 14), utc(2024, 6, 13)},
      {"0 0 * * 5", utc(2024, 5, 14), utc(2024, 5, 17)},
      // Odd days that are Mondays: the 20th is an even Monday.
      {"0 0 */2 * 1", utc(2024, 5, 18), utc(2024, 5, 27)},
      // The 1st that is a Sunday.
      {"0 0 1 * */7", utc(2024, 1, 2), utc(2024, 9, 1)},
  });
}

TEST_CASE("months without the day are skipped") {
  check_next({
      {"0 0 31 * *", utc(2024, 4, 1), utc(2024, 5, 31)},
      {"0 0 30 * *", utc(2024, 2, 1), utc(2024, 3, 30)},
      {"0 0 28-31 2 *", utc(2023, 2, 28, 0, 1), utc(2024, 2, 28)},
      {"0 0 28-31 2 *", utc(2024, 2, 28, 0, 1), utc(2024, 2, 29)},
  });
}

TEST_CASE("the next run rolls over into the next year") {
  check_next({
      {"0 */6 * * *", utc(2024, 12, 31, 18, 1), utc(2025, 1, 1)},
      {"0 0 1 1 *", utc(2024, 1, 1, 0, 1), utc(2025, 1, 1)},
  });
}

TEST_CASE("Feb 29 comes only in leap years") {
  check_next({
      {"0 0 29 2 *", utc(2024, 3, 1), utc(2028, 2, 29)},
      {"0 0 29 2 *", utc(2096, 3, 1), utc(2104, 2, 29)},  // 2100 is no leap year
      {"0 0 29 2 *", utc(1999, 3, 1), utc(2000, 2, 29)},  // 2000 is one
  });
}

TEST_CASE("a day that comes once in decades is found") {
  check_next({
      // Feb 29 that is a Sunday: 8 years after 2024, and 40 years (across 2300) after 2280.
      {"0 0 29 2 */7", utc(2024, 3, 1), utc(2032, 2, 29)},
      {"0 0 29 2 */7", utc(2280, 3, 1), utc(2320, 2, 29)},
  });
}

TEST_CASE("an expression that never matches has no next run") {
  check_next({
      {"0 0 31 2 *", utc(2024, 3, 1), std::nullopt},
      {"0 0 30 2 *", utc(1970, 1, 1), std::nullopt},
      {"0 0 31 4,6,9,11 *", utc(2024, 3, 1), std::nullopt},
      {"0 0 30-31 2 */7", utc(2024, 3, 1), std::nullopt},
  });
  check_previous({
      {"0 0 31 2 *", utc(9999, 12, 31), std::nullopt},
  });
}

TEST_CASE("run times lie between 1970 and the end of 9999") {
  check_next({
      {"* * * * *", -1, utc(1970, 1, 1)},
      {"* * * * *", INT64_MIN, utc(1970, 1, 1)},
      {"59 23 31 12 *", utc(9999, 12, 31, 23, 59), utc(9999, 12, 31, 23, 59)},
      {"59 23 31 12 *", utc(9999, 12, 31, 23, 59, 0, 1), std::nullopt},
      {"0 0 1 1 *", utc(9999, 1, 1, 0, 1), std::nullopt},
      {"* * * * *", INT64_MAX, std::nullopt},
  });
  check_previous({
      {"* * * * *", -1, std::nullopt},
      {"0 0 * * 0", utc(1970, 1, 3), std::nullopt},  // 1970-01-01 was a Thursday
      {"* * * * *", INT64_MAX, utc(9999, 12, 31, 23, 59)},
      {"0 0 1 1 *", INT64_MAX, utc(9999, 1, 1)},
  });
  CHECK(max_cron_time_ms == utc(9999, 12, 31, 23, 59));
}

TEST_CASE("the previous run is the last matching minute at or before a time") {
  check_previous({
      {"* * * * *", utc(2024, 5, 17, 10, 20, 59, 999), utc(2024, 5, 17, 10, 20)},
      {"30 * * * *", utc(2024, 5, 17, 10, 29), utc(2024, 5, 17, 9, 30)},
      {"10-30/7 * * * *", utc(2024, 5, 17, 10, 23), utc(2024, 5, 17, 10, 17)},
      {"0 0 1 1 *", utc(2025, 1, 1), utc(2025, 1, 1)},
      {"59 23 31 12 *", utc(2025, 1, 1), utc(2024, 12, 31, 23, 59)},
      {"0 12 * * 1-5", utc(2024, 5, 20, 11), utc(2024, 5, 17, 12)},
      {"0 0 13 * 5", utc(2024, 6, 13, 23), utc(2024, 6, 13)},
      {"0 0 13 * 5", utc(2024, 6, 12), utc(2024, 6, 7)},
      {"0 0 */2 * 1", utc(2024, 5, 26), utc(2024, 5, 13)},
      {"0 0 29 2 *", utc(2024, 2, 28), utc(2020, 2, 29)},
      {"0 0 29 2 *", utc(2104, 2, 28), utc(2096, 2, 29)},
      {"0 0 29 2 */7", utc(2320, 2, 28), utc(2280, 2, 29)},
  });
}

TEST_CASE("fields may be separated by several spaces") {
  CHECK(parsed("0  12   *  * 1") == parsed("0 12 * * 1"));
}

TEST_CASE("a number may have a leading zero") {
  CHECK(parsed("05 07 01 02 00") == parsed("5 7 1 2 0"));
}

TEST_CASE("a step of one over a whole field is a star") {
  CHECK(parsed("*/1 */1 */1 */1 */1") == parsed("* * * * *"));
  CHECK(parsed("0-59 0-23 * * *") == parsed("* * * * *"));
}

TEST_CASE("an expression has exactly five fields") {
  check_refused({"", "*", "* * * *", "* * * * * *", "0 0 * * * 2024"});
}

TEST_CASE("whitespace other than single separators between fields is refused") {
  check_refused({" * * * * *", "* * * * * ", "*\t* * * *", "* * * * *\n", "\n* * * * *",
                 std::string_view{"* * * * *\0", 10}});
}

TEST_CASE("numbers out of a field's range are refused") {
  check_refused({"60 * * * *", "* 24 * * *", "* * 0 * *", "* * 32 * *", "* * * 0 *", "* * * 13 *",
                 "* * * * 7", "0-60 * * * *", "* * * * 5-7", "* * * * 0,7", "99 * * * *"});
}

TEST_CASE("ranges must not run backwards") {
  check_refused({"5-3 * * * *", "* * * * 6-0", "* * 31-1 * *", "* 23-22/2 * * *"});
}

TEST_CASE("a step is 1 up to the field's number of values after a star or a range") {
  check_refused({"*/0 * * * *", "*/61 * * * *", "* */25 * * *", "* * */32 * *", "* * * */13 *",
                 "* * * * */8", "5/15 * * * *", "*/ * * * *", "1-5/ * * * *", "1-5/2/3 * * * *",
                 "/5 * * * *", "*/-1 * * * *"});
  CHECK(parsed("*/60 */24 * * *") == parsed("0 0 * * *"));
}

TEST_CASE("lists and ranges have no empty parts") {
  check_refused({"1,,2 * * * *", ",1 * * * *", "1, * * * *", "- * * * *", "1- * * * *",
                 "-5 * * * *", "* * * * ,"});
}

TEST_CASE("names and special characters are refused") {
  check_refused({"* * * JAN *", "* * * * MON", "* * * * mon-fri", "* * ? * *", "* * L * *",
                 "* * * * 5#3", "* * 15W * *", "* * * * 5L", "@daily", "@reboot * * * *",
                 "H * * * *", "0 0 * * *,"});
}

TEST_CASE("numbers have no sign and at most two digits") {
  check_refused({"+5 * * * *", "* * * * -0", "005 * * * *", "0000000000000000000005 * * * *",
                 "99999999999999999999 * * * *", "0x1 * * * *", "1.5 * * * *", "1e1 * * * *",
                 "\xef\xbc\x95 * * * *" /* fullwidth 5 */});
}

TEST_CASE("items are written in one of their forms only") {
  check_refused({"** * * * *", "*-5 * * * *", "1-2-3 * * * *", "5* * * * *", "*5 * * * *"});
}

TEST_CASE("a refusal names the field and the problem") {
  auto why_of = [](std::string_view text) {
    std::string why;
    CHECK_FALSE(cron_expression::parse(text, why).has_value());
    return why;
  };
  CHECK(why_of("60 * * * *") == "minute: 60 is out of range 0-59");
  CHECK(why_of("* * * * 7") == "day of week: 7 is out of range 0-6 (0 is Sunday)");
  CHECK(why_of("* 5-3 * * *") == "hour: the range 5-3 runs backwards");
  CHECK(why_of("* * 1,,2 * *") == "day of month: a list has an empty item");
  CHECK(why_of("* * * JAN *").starts_with("month: only digits"));
  CHECK(why_of("* * * */0 *") == "month: a step must be 1-12");
  CHECK(why_of("* * * *").starts_with("a cron expression has 5 fields"));
  // A refusal quotes no byte of the text but digits: it goes into a JSON answer as it is.
  CHECK(why_of("* * * \xff *").find('\xff') == std::string::npos);
}

TEST_SUITE_END();
