#include "adapters/mllp/framer.hpp"

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace hisbridge::mllp {
namespace {

using namespace std::string_literals;

constexpr std::string_view kAdt = "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500||ADT^A04|1|P|2.5\r";

// What a Framer yields for `bytes`: each message, or "<too large>".
std::vector<std::string> drain(Framer& framer) {
  std::vector<std::string> events;
  while (auto event = framer.next()) {
    if (event->has_value()) {
      events.push_back(event->value());
    } else {
      EXPECT_EQ(event->error(), make_error_code(Error::frame_too_large));
      events.emplace_back("<too large>");
    }
  }
  return events;
}

std::vector<std::string> decode(std::string_view bytes, FramerOptions options = {}) {
  Framer framer(options);
  framer.feed(bytes);
  return drain(framer);
}

TEST(FramerTest, EncodesStartBlockMessageEndBlockCarriageReturn) {
  EXPECT_EQ(encode_frame("MSH|x"), "\x0bMSH|x\x1c\r");
  EXPECT_EQ(encode_frame(""), "\x0b\x1c\r");
}

TEST(FramerTest, DecodesOneFrame) {
  EXPECT_EQ(decode(encode_frame(kAdt)), std::vector<std::string>{std::string(kAdt)});
}

TEST(FramerTest, DecodesFramesSplitAtEveryByte) {
  const std::string bytes = encode_frame(kAdt) + encode_frame("second");
  Framer framer;
  std::vector<std::string> events;
  for (char c : bytes) {
    framer.feed(std::string_view(&c, 1));
    for (auto& event : drain(framer)) {
      events.push_back(std::move(event));
    }
  }
  EXPECT_EQ(events, (std::vector<std::string>{std::string(kAdt), "second"}));
  EXPECT_FALSE(framer.in_frame());
  EXPECT_EQ(framer.stats().frames, 2u);
}

TEST(FramerTest, DecodesManyFramesFromOneChunk) {
  const std::string bytes = encode_frame("a") + encode_frame("b") + encode_frame("c");
  EXPECT_EQ(decode(bytes), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(FramerTest, YieldsNothingUntilTheFrameEnds) {
  Framer framer;
  framer.feed("\x0bMSH|partial");
  EXPECT_FALSE(framer.next().has_value());
  EXPECT_TRUE(framer.in_frame());
  EXPECT_EQ(framer.buffered_bytes(), 11u);
  framer.feed("\x1c");
  EXPECT_FALSE(framer.next().has_value());
  framer.feed("\r");
  EXPECT_EQ(drain(framer), std::vector<std::string>{"MSH|partial"});
  EXPECT_FALSE(framer.in_frame());
}

TEST(FramerTest, CountsAndIgnoresBytesOutsideFrames) {
  Framer framer;
  framer.feed("noise\r\n" + encode_frame("a") + "\n\n" + encode_frame("b") + "tail");
  EXPECT_EQ(drain(framer), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(framer.stats().bytes_ignored, 7u + 2u + 4u);
  EXPECT_EQ(framer.stats().bytes_discarded, 0u);
}

TEST(FramerTest, EmptyFrameYieldsAnEmptyMessage) {
  EXPECT_EQ(decode("\x0b\x1c\r"), std::vector<std::string>{""});
}

TEST(FramerTest, EndBlockNotFollowedByCarriageReturnIsContent) {
  EXPECT_EQ(decode("\x0b" "a\x1cz\x1c\r"), std::vector<std::string>{"a\x1cz"});
  EXPECT_EQ(decode("\x0b" "a\x1c\x1c\r"), std::vector<std::string>{"a\x1c"});
  EXPECT_EQ(decode("\x0b" "a\x1c\n\x1c\r"), std::vector<std::string>{"a\x1c\n"});
}

TEST(FramerTest, EndBlockFollowedByStartBlockEndsTheFrame) {
  EXPECT_EQ(decode("\x0b" "a\x1c\x0b" "b\x1c\r"), (std::vector<std::string>{"a", "b"}));
}

TEST(FramerTest, StartBlockInsideAFrameAbandonsTheUnfinishedPart) {
  Framer framer;
  framer.feed("\x0bhalf a mess\x0b" "whole\x1c\r");
  EXPECT_EQ(drain(framer), std::vector<std::string>{"whole"});
  EXPECT_EQ(framer.stats().frames_abandoned, 1u);
  EXPECT_EQ(framer.stats().bytes_discarded, 11u);
  EXPECT_EQ(framer.stats().frames, 1u);
}

TEST(FramerTest, FrameAtTheLimitIsAccepted) {
  EXPECT_EQ(decode(encode_frame("12345"), FramerOptions{5}), std::vector<std::string>{"12345"});
}

TEST(FramerTest, FrameOverTheLimitYieldsOneEventAsSoonAsTheLimitIsCrossed) {
  Framer framer(FramerOptions{5});
  framer.feed("\x0b" "1234");
  EXPECT_FALSE(framer.next().has_value());
  framer.feed("56");
  EXPECT_EQ(drain(framer), std::vector<std::string>{"<too large>"});
  EXPECT_EQ(framer.buffered_bytes(), 0u);
  framer.feed("789\x1c" "x0\x1c\r");  // the rest of the oversize frame, content 0x1C included
  EXPECT_TRUE(drain(framer).empty());
  EXPECT_FALSE(framer.in_frame());
  EXPECT_EQ(framer.stats().frames_too_large, 1u);
  EXPECT_EQ(framer.stats().bytes_discarded, 12u);
  EXPECT_EQ(framer.stats().frames_abandoned, 0u);
}

TEST(FramerTest, DecodesNormallyAfterAnOversizeFrame) {
  EXPECT_EQ(decode(encode_frame("too long") + encode_frame("ok"), FramerOptions{5}),
            (std::vector<std::string>{"<too large>", "ok"}));
  // A new start block ends the discarding too.
  EXPECT_EQ(decode("\x0btoo long\x0bok\x1c\r", FramerOptions{5}),
            (std::vector<std::string>{"<too large>", "ok"}));
}

TEST(FramerTest, DefaultLimitIsSixteenMebibytes) {
  EXPECT_EQ(Framer().max_frame_bytes(), std::size_t{16} * 1024 * 1024);
}

TEST(FramerTest, ResetForgetsTheUnfinishedFrameAndPendingEvents) {
  Framer framer;
  framer.feed(encode_frame("a") + "\x0bunfinished");
  framer.reset();
  EXPECT_FALSE(framer.in_frame());
  EXPECT_FALSE(framer.next().has_value());
  framer.feed("rest\x1c\r" + encode_frame("b"));
  EXPECT_EQ(drain(framer), std::vector<std::string>{"b"});
}

TEST(FramerTest, FindsBlockBytes) {
  EXPECT_FALSE(has_block_byte(kAdt));
  EXPECT_TRUE(has_block_byte("a\x0b"));
  EXPECT_TRUE(has_block_byte("\x1c"));
}

TEST(FramerTest, ErrorsHaveACategoryAndMessages) {
  const auto ec = make_error_code(Error::frame_too_large);
  EXPECT_STREQ(ec.category().name(), "mllp");
  EXPECT_EQ(ec.message(), "MLLP frame larger than the configured limit");
  EXPECT_EQ(hl7_error_code(Error::frame_too_large), 207);
  boost::system::error_code converted = Error::timeout;  // is_error_code_enum
  EXPECT_EQ(converted, make_error_code(Error::timeout));
}

}  // namespace
}  // namespace hisbridge::mllp
