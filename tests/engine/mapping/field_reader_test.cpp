// The raw-text reader's building blocks against the plain forms they replace: the word-wide
// search for a separator (whose bit trick may mark a byte above a real match, never below),
// the part search, and the in-place copy of a value over an old one of any length.
#include <gtest/gtest.h>

#include <cstddef>
#include <random>
#include <string>
#include <string_view>

#include "engine/mapping/field_reader.hpp"
#include "engine/mapping/record.hpp"

namespace hisbridge::mapping {
namespace {

const char* naive_find_either(const char* p, const char* end, char a, char b) {
  for (; p < end; ++p) {
    if (*p == a || *p == b) {
      return p;
    }
  }
  return end;
}

// Bytes next to '^' and '~' (a borrow out of a matching byte turns 0x5F or 0x7F into a mark),
// 0x00, 0x01, 0x80 and 0xFF, so that every kind of false mark can occur.
std::string random_text(std::mt19937& rng, std::size_t size) {
  static constexpr char kAlphabet[] = {'^', '_', ']', '~', '\x7f', '}', 'a', '\0',
                                       '\x01', '\x80', '\xff', '&', '\'', '%'};
  std::uniform_int_distribution<std::size_t> pick(0, sizeof kAlphabet - 1);
  std::string s(size, ' ');
  for (char& c : s) {
    c = kAlphabet[pick(rng)];
  }
  return s;
}

TEST(FieldReaderTest, FindEitherFindsTheFirstMatchWhateverTheWordsAround) {
  std::mt19937 rng(20261130);
  std::uniform_int_distribution<std::size_t> length(0, 40);
  for (int round = 0; round < 20000; ++round) {
    // The text sits in a longer buffer: `readable` is sometimes exactly its end, sometimes
    // further on, so both the word-wide steps and the byte-by-byte tail are taken.
    const std::string buffer = random_text(rng, 48);
    const std::size_t begin = length(rng) % 8;
    const std::size_t size = length(rng);
    const std::size_t slack = round % 3 == 0 ? 0 : length(rng) % 9;
    if (begin + size + slack > buffer.size()) {
      continue;
    }
    const char* p = buffer.data() + begin;
    const char* end = p + size;
    const char* readable = end + slack;
    for (const auto& [a, b] : {std::pair{'^', '~'}, std::pair{'&', '^'}, std::pair{'~', '~'}}) {
      ASSERT_EQ(find_either(p, end, readable, a, b) - p, naive_find_either(p, end, a, b) - p)
          << "round " << round << " size " << size << " slack " << slack;
    }
  }
}

TEST(FieldReaderTest, PartWithinTakesTheNumberedPartUpToTheStop) {
  const std::string text = "CBC^Công thức máu^L~X^Y|tail";
  const char* readable = text.data() + text.size();
  const auto part = [&](char delimiter, char stop, std::size_t number) -> std::string {
    std::string_view raw(text.data(), text.find('|'));
    return part_within(raw, delimiter, stop, number, readable) ? std::string(raw) : "<none>";
  };
  EXPECT_EQ(part('^', '~', 1), "CBC");
  EXPECT_EQ(part('^', '~', 2), "Công thức máu");
  EXPECT_EQ(part('^', '~', 3), "L");
  EXPECT_EQ(part('^', '~', 4), "<none>");  // the first repetition has three components
  EXPECT_EQ(part('~', '~', 1), "CBC^Công thức máu^L");
}

TEST(FieldReaderTest, AssignTextGivesTheSameStringAsAssign) {
  std::mt19937 rng(7);
  for (std::size_t before = 0; before <= 40; ++before) {
    for (std::size_t after = 0; after <= 40; ++after) {
      std::string old = random_text(rng, before);
      const std::string wanted = random_text(rng, after);
      const std::size_t capacity = old.capacity();
      assign_text(old, wanted);
      ASSERT_EQ(old, wanted) << before << " -> " << after;
      ASSERT_EQ(old.c_str()[old.size()], '\0');
      if (after <= capacity) {
        EXPECT_EQ(old.capacity(), capacity) << "a text that fits is copied in place";
      }
    }
  }
  Value v = Value::of_text("preliminary");
  v.set(Value::Type::integer, "7");
  EXPECT_EQ(v, (Value{Value::Type::integer, "7"}));
}

}  // namespace
}  // namespace hisbridge::mapping
