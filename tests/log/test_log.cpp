// Console colour decision (log.color, NO_COLOR, launchers); design.md §4. The end-to-end check that log files and
// relayed output carry no escape codes is tests/log/test_color.py.
#include <gtest/gtest.h>

#include <cstdlib>

#include "log/log.hpp"

namespace {
// Clears the variables use_color() reads for the duration of a test, restoring them afterwards.
class ColorEnv : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* v : kVars) {
      const char* old = std::getenv(v);
      saved_.emplace_back(v, old ? std::optional<std::string>(old) : std::nullopt);
      unsetenv(v);
    }
    setenv("TERM", "xterm", 1);
  }
  void TearDown() override {
    for (const auto& [k, v] : saved_)
      if (v) setenv(k, v->c_str(), 1);
      else unsetenv(k);
  }
  static constexpr const char* kVars[] = {"NO_COLOR", "OMPI_COMM_WORLD_SIZE", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID", "TERM"};
  std::vector<std::pair<const char*, std::optional<std::string>>> saved_;
};
}  // namespace

TEST_F(ColorEnv, AutoColoursOnlyATerminal) {
  EXPECT_TRUE(jepa::log::use_color("auto", true));
  EXPECT_FALSE(jepa::log::use_color("auto", false));  // redirected to a file or pipe
}

TEST_F(ColorEnv, NoColorTurnsAutoOffButNotAlways) {
  setenv("NO_COLOR", "1", 1);
  EXPECT_FALSE(jepa::log::use_color("auto", true));
  EXPECT_TRUE(jepa::log::use_color("always", false));
  setenv("NO_COLOR", "", 1);  // no-color.org: only a non-empty value counts
  EXPECT_TRUE(jepa::log::use_color("auto", true));
}

TEST_F(ColorEnv, LaunchersAndDumbTerminalsGetNoColour) {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID"}) {
    setenv(v, "0", 1);
    EXPECT_FALSE(jepa::log::use_color("auto", true)) << v;
    unsetenv(v);
  }
  setenv("TERM", "dumb", 1);
  EXPECT_FALSE(jepa::log::use_color("auto", true));
  EXPECT_FALSE(jepa::log::use_color("never", true));
}
