// config::first_difference: which setting two resolved configs disagree on (jepa_dist's cross-rank check).
#include <gtest/gtest.h>

#include "config/compare.hpp"
#include "config/config.hpp"

using jepa::config::first_difference;

TEST(ConfigCompare, EqualConfigsHaveNoDifference) {
  const auto text = jepa::config::to_yaml_string(jepa::config::Config{});
  EXPECT_FALSE(first_difference(text, text));
}

TEST(ConfigCompare, NamesTheFirstDifferingSettingWithBothValues) {
  jepa::config::Config a, b;
  a.model.dim = 32;
  b.model.dim = 64;
  b.train.steps = a.train.steps + 1;  // later in the schema: the first difference is reported
  const auto d = first_difference(jepa::config::to_yaml_string(a), jepa::config::to_yaml_string(b));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->first, "model.dim: 32");
  EXPECT_EQ(d->second, "model.dim: 64");
}

TEST(ConfigCompare, ASettingOnlyOneSideHasIsUnsetOnTheOther) {
  jepa::config::Config a, b;
  b.data.vocab = "v.txt";  // unset optionals are absent from the text
  auto d = first_difference(jepa::config::to_yaml_string(a), jepa::config::to_yaml_string(b));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->first, "data.vocab: (unset)");
  EXPECT_EQ(d->second, "data.vocab: v.txt");
  d = first_difference(jepa::config::to_yaml_string(b), jepa::config::to_yaml_string(a));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->first, "data.vocab: v.txt");
  EXPECT_EQ(d->second, "data.vocab: (unset)");
}
