// The raw-text reader's building blocks against the plain forms they replace: the word-wide
// search for a separator (whose bit trick may mark a byte above a real match, never below),
// the part search, and the in-place copy of a value over an old one of any length.
#include <gtest/gtest.h>

#include <cstddef>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/hl7/message.hpp"
#include "engine/mapping/element_value.hpp"
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

// A text drawn at random inside a longer random buffer: where it begins (below
// `begin_below`), its size (up to `max_size`) and where `readable` is: at the text's end every
// third round, else up to `slack_below` - 1 bytes after it. None when the draw does not fit.
struct PlacedText {
  std::string buffer;
  std::size_t begin = 0;
  std::size_t size = 0;
  std::size_t slack = 0;
  const char* text() const { return buffer.data() + begin; }
  const char* end() const { return text() + size; }
  const char* readable() const { return end() + slack; }
};

std::optional<PlacedText> place_text(std::mt19937& rng, int round, std::size_t buffer_size,
                                     std::size_t max_size, std::size_t begin_below,
                                     std::size_t slack_below) {
  std::uniform_int_distribution<std::size_t> length(0, max_size);
  PlacedText placed;
  placed.buffer = random_text(rng, buffer_size);
  placed.begin = length(rng) % begin_below;
  placed.size = length(rng);
  placed.slack = round % 3 == 0 ? 0 : length(rng) % slack_below;
  if (placed.begin + placed.size + placed.slack > placed.buffer.size()) {
    return std::nullopt;
  }
  return placed;
}

TEST(FieldReaderTest, FindEitherFindsTheFirstMatchWhateverTheWordsAround) {
  std::mt19937 rng(20261130);
  for (int round = 0; round < 20000; ++round) {
    // The text sits in a longer buffer: `readable` is sometimes exactly its end, sometimes
    // further on, so both the word-wide steps and the byte-by-byte tail are taken.
    const std::optional<PlacedText> placed = place_text(rng, round, 48, 40, 8, 9);
    if (!placed) {
      continue;
    }
    const char* p = placed->text();
    const char* end = placed->end();
    const char* readable = placed->readable();
    const std::size_t size = placed->size;
    const std::size_t slack = placed->slack;
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

// Part `number` between `delimiter`s up to the first `stop`, one byte at a time.
std::optional<std::string_view> naive_part(std::string_view raw, char delimiter, char stop,
                                           std::size_t number) {
  std::size_t n = 1;
  std::size_t begin = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != delimiter && raw[i] != stop) {
      continue;
    }
    if (raw[i] == stop || n == number) {
      return n == number ? std::optional(raw.substr(begin, i - begin)) : std::nullopt;
    }
    ++n;
    begin = i + 1;
  }
  return n == number ? std::optional(raw.substr(begin)) : std::nullopt;
}

TEST(FieldReaderTest, PartWithinFindsEveryPartOfTextsOfEveryLength) {
  // Texts across several sixteen-byte steps, parts past the first (found from one step's mask),
  // and `readable` at the text's end or a little after, so that the search ends byte by byte
  // from anywhere in the text.
  std::mt19937 rng(20261202);
  std::uniform_int_distribution<std::size_t> part(1, 9);
  for (int round = 0; round < 20000; ++round) {
    const std::optional<PlacedText> placed = place_text(rng, round, 100, 70, 16, 20);
    if (!placed) {
      continue;
    }
    const std::string_view text(placed->text(), placed->size);
    const char* readable = placed->readable();
    const std::size_t size = placed->size;
    const std::size_t slack = placed->slack;
    const std::size_t number = part(rng);
    for (const auto& [delimiter, stop] :
         {std::pair{'^', '~'}, std::pair{'&', '^'}, std::pair{'~', '~'}}) {
      std::string_view raw = text;
      const bool found = part_within(raw, delimiter, stop, number, readable);
      const std::optional<std::string_view> expected = naive_part(text, delimiter, stop, number);
      ASSERT_EQ(found, expected.has_value())
          << "round " << round << " size " << size << " slack " << slack << " part " << number;
      if (found) {
        ASSERT_EQ(raw.data() - text.data(), expected->data() - text.data()) << "round " << round;
        ASSERT_EQ(raw.size(), expected->size()) << "round " << round;
      }
    }
  }
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
}

// A path expression as the loader makes it.
Expr path_expr(const std::string& text) {
  Expr e;
  e.kind = Expr::Kind::hl7_path;
  e.path = *hl7::Path::parse(text);
  e.segment_key = segment_key(e.path.segment);
  set_raw_read(e);
  return e;
}

TEST(FieldReaderTest, SameTextComparesEveryByteOfEveryLength) {
  // Texts of 0 to 40 bytes, equal, and differing at each position in turn (words compared
  // up to 24 bytes, memcmp past that), and of different lengths with a common start.
  for (std::size_t n = 0; n <= 40; ++n) {
    std::string a;
    for (std::size_t i = 0; i < n; ++i) {
      a += static_cast<char>('0' + i % 10);
    }
    const std::string b = a;
    EXPECT_TRUE(same_text(a, b)) << n;
    for (std::size_t at = 0; at < n; ++at) {
      std::string c = a;
      c[at] = 'x';
      EXPECT_FALSE(same_text(a, c)) << n << " " << at;
      EXPECT_FALSE(same_text(c, a)) << n << " " << at;
    }
    EXPECT_FALSE(same_text(a, a + "0")) << n;
    EXPECT_FALSE(same_text(a + "0", a)) << n;
  }
  EXPECT_TRUE(same_text(std::string_view(), std::string_view()));
}

TEST(FieldReaderTest, EachPathIsReadTheWayItsShapeAsks) {
  EXPECT_EQ(path_expr("OBX-5").raw_read, Expr::RawRead::field);
  EXPECT_EQ(path_expr("OBX-3.1").raw_read, Expr::RawRead::component);
  EXPECT_EQ(path_expr("PID-3[1].5").raw_read, Expr::RawRead::component);
  EXPECT_EQ(path_expr("PID-3[1]").raw_read, Expr::RawRead::narrow);
  EXPECT_EQ(path_expr("PID-3[2].1").raw_read, Expr::RawRead::narrow);
  EXPECT_EQ(path_expr("PV1-3.1.1").raw_read, Expr::RawRead::subcomponent);
  EXPECT_EQ(path_expr("PID-5[1].1.1").raw_read, Expr::RawRead::subcomponent);
  EXPECT_EQ(path_expr("PID-11[2].1.1").raw_read, Expr::RawRead::narrow);
  EXPECT_EQ(path_expr("MSH-2").raw_read, Expr::RawRead::element);
  EXPECT_EQ(path_expr("MSH-9.1").raw_read, Expr::RawRead::component);
  // The field's index among the segment's parts: MSH counts its field separator as field 1.
  EXPECT_EQ(path_expr("OBX-5").part_index, 5U);
  EXPECT_EQ(path_expr("MSH-9.1").part_index, 8U);
  Expr filtered = path_expr("PID-3");
  filtered.has_filter = true;
  EXPECT_EQ(raw_read_of(filtered), Expr::RawRead::filtered);
  EXPECT_EQ(Expr().raw_read, Expr::RawRead::element);  // an Expr not made by the loader
}

// Every shape of path over the header and segments with repetitions, sub-components, escapes,
// HL7 nulls, empty and missing parts, under `~` and under another repetition separator: the
// raw-text reader gives what hl7::Element gives, or leaves the path to it.
TEST(FieldReaderTest, RawReadsGiveWhatTheElementReaderGives) {
  const std::string body =
      "OBX|1|ST|718-7^Hemoglobin^LN~X1^Two&sub&more^L2||T\\S\\ex\\F\\t~second^rep||\"\"|"
      "^^^x&y&z^|a~~b|&only-sub^^|~|last^\r"
      "NTE|1||Ghi ch\xc3\xba d\xc3\xa0i^line&two~r2c1^r2c2&s|\r";
  for (const char repetition : {'~', '!'}) {
    std::string text = std::string("MSH|^~\\&|LIS|LAB|HIS|H|20261130||ORU^R01|C1|P|2.5\r") + body;
    if (repetition != '~') {
      for (char& c : text) {
        c = c == '~' ? repetition : c;
      }
    }
    auto message = hl7::Message::parse(text);
    ASSERT_TRUE(message) << text;
    const std::string_view raw = message->raw();
    TextStore store;
    ValueSink sink{raw.data(), store.keep(raw).data(), &store, {}};
    for (std::size_t n = 1; n <= message->segment_count(); ++n) {
      const hl7::Segment segment = message->segment(n);
      const std::string id(segment.id());
      for (std::size_t field = 1; field <= 12; ++field) {
        for (const std::string rep : {"", "[1]", "[2]", "[3]"}) {
          for (const std::string component : {"", ".1", ".2", ".3", ".4", ".4.2", ".2.3", ".1.1"}) {
            const std::string path = id + "-" + std::to_string(field) + rep + component;
            const Expr e = path_expr(path);
            Value by_raw{Value::Type::text, "left over"};
            Value by_element{Value::Type::text, "left over too"};
            element_value_by_element(segment, e, sink, by_element);
            if (read_raw(segment, e, true, raw.data() + raw.size(), sink, by_raw)) {
              EXPECT_TRUE(by_raw == by_element)
                  << path << " with repetitions by '" << repetition << "': raw "
                  << static_cast<int>(by_raw.type) << " '" << by_raw.text << "', element "
                  << static_cast<int>(by_element.type) << " '" << by_element.text << "'";
            } else {
              EXPECT_EQ(by_raw.text, "left over") << path;  // untouched when left to Element
            }
          }
        }
        // A repetition picked by a filter (PID-3 whose CX-5 is MR), then `get`.
        const std::vector<std::vector<std::string>> wanted = {
            {"X1"}, {"second", "Hemoglobin"}, {""}, {"T^ex|t"}, {"r2c2&s", "line&two"}, {"none"}};
        for (std::size_t component = 1; component <= 4; ++component) {
          for (const std::vector<std::string>& values : wanted) {
            for (const auto& [get_component, get_subcomponent] :
                 {std::pair{0, 0}, std::pair{1, 0}, std::pair{2, 0}, std::pair{2, 3},
                  std::pair{0, 2}, std::pair{4, 1}}) {
              Expr e = path_expr(id + "-" + std::to_string(field));
              e.has_filter = true;
              e.filter = {component, values};
              e.get_component = static_cast<std::size_t>(get_component);
              e.get_subcomponent = static_cast<std::size_t>(get_subcomponent);
              set_raw_read(e);
              if (e.raw_read == Expr::RawRead::element) {  // MSH-1 and MSH-2, as above
                EXPECT_TRUE(id == "MSH" && field <= 2) << id << "-" << field;
                continue;
              }
              Value by_raw{Value::Type::text, "left over"};
              Value by_element{Value::Type::text, "left over too"};
              element_value_by_element(segment, e, sink, by_element);
              ASSERT_TRUE(read_raw(segment, e, true, raw.data() + raw.size(), sink, by_raw));
              EXPECT_TRUE(by_raw == by_element)
                  << id << "-" << field << " where component " << component << " is "
                  << values.front() << ", get " << get_component << "." << get_subcomponent
                  << ", repetitions by '" << repetition << "': raw '" << by_raw.text
                  << "', element '" << by_element.text << "'";
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace hisbridge::mapping
