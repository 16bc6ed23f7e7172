#include <doctest/doctest.h>

#include "execution/iso_duration.hpp"

#include <string_view>

using namespace dort;

TEST_SUITE_BEGIN("without_caf");

TEST_CASE("each component counts in its own unit") {
  CHECK(parse_iso_duration_ms("PT2S") == 2'000);
  CHECK(parse_iso_duration_ms("PT1M") == 60'000);
  CHECK(parse_iso_duration_ms("PT1H") == 3'600'000);
  CHECK(parse_iso_duration_ms("P1D") == 86'400'000);
}

TEST_CASE("components add up") {
  CHECK(parse_iso_duration_ms("P1DT2H3M4.5S") == 86'400'000 + 7'200'000 + 180'000 + 4'500);
  CHECK(parse_iso_duration_ms("PT1H30M") == 5'400'000);
  CHECK(parse_iso_duration_ms("P2DT5S") == 172'805'000);
}

TEST_CASE("a zero duration is valid") {
  CHECK(parse_iso_duration_ms("PT0S") == 0);
  CHECK(parse_iso_duration_ms("P0D") == 0);
}

TEST_CASE("seconds may have a fraction truncated to milliseconds") {
  CHECK(parse_iso_duration_ms("PT1.5S") == 1'500);
  CHECK(parse_iso_duration_ms("PT0.001S") == 1);
  CHECK(parse_iso_duration_ms("PT0.0015S") == 1);
  CHECK(parse_iso_duration_ms("PT0.0009S") == 0);
  CHECK(parse_iso_duration_ms("PT2.999999999999999999999S") == 2'999);
}

TEST_CASE("only seconds may have a fraction") {
  CHECK_FALSE(parse_iso_duration_ms("PT1.5M").has_value());
  CHECK_FALSE(parse_iso_duration_ms("PT1.5H").has_value());
  CHECK_FALSE(parse_iso_duration_ms("P1.5D").has_value());
}

// A '.' must stand between digits: ".5" and "5." more likely mark a typo than intent.
TEST_CASE("a fraction needs digits on both sides of the point") {
  CHECK_FALSE(parse_iso_duration_ms("PT.5S").has_value());
  CHECK_FALSE(parse_iso_duration_ms("PT5.S").has_value());
  CHECK_FALSE(parse_iso_duration_ms("PT1..5S").has_value());
  CHECK_FALSE(parse_iso_duration_ms("PT1.5.5S").has_value());
  CHECK_FALSE(parse_iso_duration_ms("PT1,5S").has_value());
}

TEST_CASE("a duration names at least one component") {
  CHECK_FALSE(parse_iso_duration_ms("").has_value());
  CHECK_FALSE(parse_iso_duration_ms("P").has_value());
  CHECK_FALSE(parse_iso_duration_ms("PT").has_value());
  CHECK_FALSE(parse_iso_duration_ms("P1DT").has_value());
  CHECK_FALSE(parse_iso_duration_ms("1S").has_value());
  CHECK_FALSE(parse_iso_duration_ms("T1S").has_value());
}

TEST_CASE("every component needs a number and a designator") {
  CHECK_FALSE(parse_iso_duration_ms("PTS").has_value());
  CHECK_FALSE(parse_iso_duration_ms("PD").has_value());
  CHECK_FALSE(parse_iso_duration_ms("PT2").has_value());
  CHECK_FALSE(parse_iso_duration_ms("P2").has_value());
  CHECK_FALSE(parse_iso_duration_ms("PT2X").has_value());
}

TEST_CASE("years and months and weeks are not accepted") {
  CHECK_FALSE(parse_iso_duration_ms("P1Y").has_value());
  CHECK_FALSE(parse_iso_duration_ms("P1M").has_value());
  CHECK_FALSE(parse_iso_duration_ms("P1W").has_value());
  CHECK_FALSE(parse_iso_duration_ms("P1Y2D").has_value());
}

TEST_CASE("designators are upper case only") {
  CHECK_FALSE(parse_iso_duration_ms("pt2s").has_value());
  CHECK_FALSE(parse_iso_duration_ms("Pt2S").has_value());
  CHECK_FALSE(parse_iso_duration_ms("PT2s").has_value());
}

TEST_CASE("no whitespace around or inside a duration") {
  CHECK_FALSE(parse_iso_duration_ms(" PT2S").has_value());
  CHECK_FALSE(parse_iso_duration_ms("PT2S ").has_value());
  CHECK_FALSE(parse_iso_duration_ms("PT 2S").has_value());
  CHECK_FALSE(parse_iso_duration_ms("PT2S\n").has_value());
}

TEST_CASE("a duration has no sign") {
  CHECK_FALSE(parse_iso_duration_ms("PT-1S").has_value());
  CHECK_FALSE(parse_iso_duration_ms("PT+1S").has_value());
  CHECK_FALSE(parse_iso_duration_ms("-PT1S").has_value());
  CHECK_FALSE(parse_iso_duration_ms("P-1D").has_value());
}

TEST_CASE("digits are ASCII 0 to 9 only") {
  CHECK_FALSE(parse_iso_duration_ms("PT\xd9\xa2S").has_value());      // Arabic-Indic two
  CHECK_FALSE(parse_iso_duration_ms("PT\xef\xbc\x92S").has_value());  // fullwidth two
  CHECK_FALSE(parse_iso_duration_ms("PT0x10S").has_value());
}

TEST_CASE("a text with an embedded NUL is rejected") {
  CHECK_FALSE(parse_iso_duration_ms(std::string_view{"PT2S\0", 5}).has_value());
}

TEST_CASE("each component appears at most once and in order") {
  CHECK_FALSE(parse_iso_duration_ms("PT1S2S").has_value());
  CHECK_FALSE(parse_iso_duration_ms("PT2M1H").has_value());
  CHECK_FALSE(parse_iso_duration_ms("PT1S1M").has_value());
  CHECK_FALSE(parse_iso_duration_ms("P1D2D").has_value());
  CHECK_FALSE(parse_iso_duration_ms("PT1H1D").has_value());
  CHECK_FALSE(parse_iso_duration_ms("P1DT1HT1M").has_value());
}

TEST_CASE("one year is the longest duration") {
  CHECK(parse_iso_duration_ms("P365D") == 31'536'000'000);
  CHECK(parse_iso_duration_ms("P365D") == max_iso_duration_ms);
  CHECK(parse_iso_duration_ms("PT31536000S") == max_iso_duration_ms);
  CHECK_FALSE(parse_iso_duration_ms("P366D").has_value());
  CHECK_FALSE(parse_iso_duration_ms("P365DT0.001S").has_value());
  CHECK_FALSE(parse_iso_duration_ms("PT31536000.001S").has_value());
  CHECK_FALSE(parse_iso_duration_ms("P364DT24H1S").has_value());
  CHECK(parse_iso_duration_ms("P364DT24H") == max_iso_duration_ms);
}

TEST_CASE("huge numbers are rejected without overflow") {
  CHECK_FALSE(parse_iso_duration_ms("PT99999999999999999999S").has_value());
  CHECK_FALSE(parse_iso_duration_ms("PT9223372036854775807S").has_value());
  CHECK_FALSE(parse_iso_duration_ms("PT9223372036854775808S").has_value());
  CHECK_FALSE(parse_iso_duration_ms("P9223372036854775807D").has_value());
  CHECK_FALSE(parse_iso_duration_ms("P106751991167D").has_value());  // * day ms > int64
  CHECK_FALSE(parse_iso_duration_ms("PT9223372036854775H9223372036854775M").has_value());
}

TEST_CASE("leading zeros do not change the value") {
  CHECK(parse_iso_duration_ms("PT02S") == 2'000);
  CHECK(parse_iso_duration_ms("PT0000000000000000000000000002S") == 2'000);
}

TEST_SUITE_END();
