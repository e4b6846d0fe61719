// The store a mapping's output keeps its texts in: texts stay where they were put, across blocks,
// moves, and until clear().
#include "engine/mapping/text_store.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hisbridge::mapping {
namespace {

std::string text_of(std::size_t i) {
  return "Kết quả " + std::to_string(i) + std::string(i % 97, 'x');
}

TEST(TextStoreTest, KeptTextsStayWhereTheyAreAcrossBlocks) {
  TextStore store;
  std::vector<std::string_view> kept;
  // Far more than one block's worth: earlier texts must not move when blocks are added.
  for (std::size_t i = 0; i < 5000; ++i) {
    kept.push_back(store.keep(text_of(i)));
  }
  for (std::size_t i = 0; i < kept.size(); ++i) {
    ASSERT_EQ(kept[i], text_of(i)) << i;
  }
  EXPECT_TRUE(store.keep("").empty());
  char* room = store.room(3);
  room[0] = 'a';
  room[1] = 'b';
  room[2] = 'c';
  EXPECT_EQ(std::string_view(room, 3), "abc");
  EXPECT_EQ(kept.front(), text_of(0));
}

TEST(TextStoreTest, UsedCountsTheBytesKeptSinceClear) {
  TextStore store;
  EXPECT_EQ(store.used(), 0U);
  store.keep("HbA1c");
  EXPECT_EQ(store.used(), 5U);
  std::size_t total = 5;
  for (std::size_t i = 0; i < 3000; ++i) {
    total += store.keep(text_of(i)).size();
  }
  EXPECT_EQ(store.used(), total);
  store.clear();
  EXPECT_EQ(store.used(), 0U);
}

TEST(TextStoreTest, AfterClearTheNextMessageLikeTheLastFitsOneBlock) {
  TextStore store;
  for (std::size_t i = 0; i < 3000; ++i) {
    store.keep(text_of(i));
  }
  store.clear();
  // The same texts again land in one block: each follows the one before it.
  std::string_view previous = store.keep(text_of(0));
  for (std::size_t i = 1; i < 3000; ++i) {
    const std::string_view next = store.keep(text_of(i));
    ASSERT_EQ(next.data(), previous.data() + previous.size()) << i;
    previous = next;
  }
}

TEST(TextStoreTest, AHugeMessageDoesNotHoldItsMemoryAfterClear) {
  TextStore store;
  const std::string big(3 * TextStore::kMaxKeptBlock, 'x');
  EXPECT_EQ(store.keep(big), big);
  EXPECT_GE(store.held(), big.size());
  store.clear();
  EXPECT_EQ(store.held(), 0U);
  EXPECT_EQ(store.keep("again"), "again");  // and the store goes on
  // A message of ordinary size keeps its block across clear().
  store.clear();
  const std::size_t held = store.held();
  EXPECT_GT(held, 0U);
  EXPECT_LE(held, TextStore::kMaxKeptBlock);
  store.keep("Nguyễn Thị Hoa");
  store.clear();
  EXPECT_EQ(store.held(), held);
}

TEST(TextStoreTest, AMoveTakesTheBlocksAndTheTextsStay) {
  TextStore store;
  const std::string_view kept = store.keep("Nguyễn Thị Hoa");
  TextStore moved(std::move(store));
  EXPECT_EQ(kept, "Nguyễn Thị Hoa");
  TextStore assigned;
  assigned.keep("other");
  assigned = std::move(moved);
  EXPECT_EQ(kept, "Nguyễn Thị Hoa");
  EXPECT_EQ(assigned.used(), kept.size());
  // The moved-from stores are empty and usable.
  EXPECT_EQ(store.used(), 0U);  // NOLINT(bugprone-use-after-move): what a move leaves is tested
  EXPECT_EQ(store.keep("again"), "again");
}

}  // namespace
}  // namespace hisbridge::mapping
