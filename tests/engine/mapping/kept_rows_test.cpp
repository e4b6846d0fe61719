#include "engine/mapping/kept_rows.hpp"

#include <gtest/gtest.h>

#include <span>
#include <string>
#include <vector>

namespace hisbridge::mapping {
namespace {

std::vector<std::string> items(std::span<const std::string> rows) {
  return {rows.begin(), rows.end()};
}

TEST(KeptRowsTest, ReadsLikeAVectorOfItsFirstElements) {
  KeptRows<std::string> rows = {"a", "b", "c"};
  rows.push_back("d");
  EXPECT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows.front(), "a");
  EXPECT_EQ(rows.back(), "d");
  EXPECT_EQ(rows.at(2), "c");
  EXPECT_THROW((void)rows.at(4), std::out_of_range);
  EXPECT_EQ(items(rows), (std::vector<std::string>{"a", "b", "c", "d"}));
  rows.clear();
  EXPECT_TRUE(rows.empty());
  EXPECT_EQ(rows.begin(), rows.end());
  rows.emplace_back(std::size_t{3}, 'x');
  EXPECT_EQ(items(rows), (std::vector<std::string>{"xxx"}));
}

TEST(KeptRowsTest, ElementsPastTheSizeAreKeptForTheNextFill) {
  KeptRows<std::string> rows;
  for (std::size_t i = 0; i < 3; ++i) {
    rows.slot(i) = std::string(40, static_cast<char>('a' + i));  // past the short-string buffer
  }
  rows.set_size(3, 10);
  const char* const third = rows[2].data();
  rows.set_size(1, 10);  // a shorter message
  EXPECT_EQ(items(rows), (std::vector<std::string>{std::string(40, 'a')}));
  // The next longer fill finds the third element as it was, its buffer unchanged.
  EXPECT_EQ(rows.slot(2), std::string(40, 'c'));
  EXPECT_EQ(rows.slot(2).data(), third);
  rows.slot(1) = "B";
  rows.slot(2) = "C";
  rows.set_size(3, 10);
  EXPECT_EQ(items(rows), (std::vector<std::string>{std::string(40, 'a'), "B", "C"}));
}

TEST(KeptRowsTest, KeepsAtMostWhatItIsToldPastTheSize) {
  KeptRows<std::string> rows;
  for (std::size_t i = 0; i < 100; ++i) {
    rows.slot(i) = "row";
  }
  rows.set_size(100, 0);
  rows.set_size(2, 5);
  // Seven stored: the next fill makes the eighth anew.
  for (std::size_t i = 2; i < 7; ++i) {
    EXPECT_EQ(rows.slot(i), "row");
  }
  EXPECT_EQ(rows.slot(7), "");
}

TEST(KeptRowsTest, CopiesHoldTheElementsOnlyAndMovesEmptyTheSource) {
  KeptRows<std::string> rows = {"a", "b", "c"};
  rows.set_size(1, 10);
  KeptRows<std::string> copy = rows;
  EXPECT_EQ(items(copy), (std::vector<std::string>{"a"}));
  EXPECT_EQ(copy.slot(1), "");  // nothing kept past the copy's end
  EXPECT_EQ(copy, rows);         // kept elements are not compared
  KeptRows<std::string> moved = std::move(rows);
  EXPECT_EQ(items(moved), (std::vector<std::string>{"a"}));
  EXPECT_TRUE(rows.empty());  // a moved-from KeptRows is empty
  rows = {"z"};
  EXPECT_EQ(items(rows), (std::vector<std::string>{"z"}));
  EXPECT_NE(rows, moved);
}

}  // namespace
}  // namespace hisbridge::mapping
