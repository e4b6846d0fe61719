#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "engine/hl7/error.hpp"
#include "engine/hl7/message.hpp"

namespace hisbridge::hl7 {

// A character set as MSH-18 or a source's configuration names it, resolved to the name glibc
// iconv knows it by. hisbridge works in UTF-8 inside; every other character set is converted
// once, when a message is decoded.
//
// Names are matched without regard to case or surrounding spaces:
//   empty, `UNICODE UTF-8`, `ISO IR192`, `UNICODE`   UTF-8
//   `ASCII`, `ISO IR6`                               UTF-8 too: ASCII is a subset, and senders
//                                                    that declare ASCII often send UTF-8
//   `8859/1` .. `8859/16`                            ISO-8859-1 .. ISO-8859-16
//   `ISO IR100`                                      ISO-8859-1 (other `ISO IRnnn`: ISO-IR-nnn)
//   `ISO IR87`, `JAS2020`, `JIS X 0202`              ISO-2022-JP; `ISO IR159` ISO-2022-JP-2
//   `BIG-5`, `CNS 11643-1992`                        BIG5, EUC-TW
//   `GB 18030-2000`, `KS X 1001`                     GB18030, EUC-KR
//   `UNICODE UTF-16`, `UNICODE UTF-32`               UTF-16, UTF-32
// Any other name goes to iconv as written, so a per-source setting can say `CP1258`,
// `WINDOWS-1258`, `TCVN5712-1`, `VISCII` or `CP949` for the senders that need it.
class Charset {
 public:
  enum class Form {
    utf8,              // no conversion: the bytes are checked to be well-formed UTF-8
    ascii_compatible,  // delimiters and segment ids are ASCII bytes: parse, then convert
    wide,              // UTF-16/UTF-32: convert before anything can be parsed
  };

  // Resolves `name` and checks that iconv can convert from it; `unknown_charset` (naming it)
  // when not. Cheap for UTF-8; otherwise opens and closes an iconv descriptor.
  static ParseResult<Charset> resolve(std::string_view name);

  const std::string& name() const { return name_; }              // as given, trimmed
  const std::string& iconv_name() const { return iconv_name_; }  // "UTF-8", "CP1258", ...
  Form form() const { return form_; }
  bool is_utf8() const { return form_ == Form::utf8; }

  // `bytes` converted to UTF-8. Bytes that are not valid in this character set give
  // `bad_encoding` with the offset (in `bytes`) where the bad sequence starts. For UTF-8
  // itself the bytes are only checked, then copied. Combining marks that follow their base
  // letter (CP1258, TCVN5712-1) come out precomposed where Unicode has a precomposed letter:
  // glibc composes them, so `ê` + U+0303 arrives as `ễ` (U+1EC5, NFC).
  ParseResult<std::string> to_utf8(std::string_view bytes) const;

 private:
  Charset(std::string name, std::string iconv_name, Form form)
      : name_(std::move(name)), iconv_name_(std::move(iconv_name)), form_(form) {}

  std::string name_;
  std::string iconv_name_;
  Form form_ = Form::utf8;
};

struct DecodeOptions {
  // When set, wins over MSH-18: for senders that leave MSH-18 empty or declare a character
  // set they do not use. Any name Charset::resolve accepts.
  std::string charset_override;
  ParseOptions parse;
};

// Parses one ER7 message and makes its text UTF-8.
//
// The character set is the override when set, else MSH-18's first repetition (v2.5.1 §2.15.9.18;
// an empty MSH-18 is taken as UTF-8). When that is empty or ASCII and a later repetition names
// a JIS set (`~ISO IR87`, ISO 2022 code extension per MSH-20), the text is read as ISO-2022-JP-2.
// UTF-16 and UTF-32 messages are recognised by their byte order mark or by the zero bytes
// around `MSH`.
//   UTF-8 (and ASCII): the bytes are checked and the zero-copy parse is returned, so `bytes`
//     must outlive the Message, as with Message::parse.
//   anything else: the message is converted to UTF-8 and parsed again from bytes the Message
//     owns. MSH-18 still says what the sender sent; the Message's bytes are UTF-8 whatever it
//     says, so a destination that forwards them must set MSH-18 to `UNICODE UTF-8`.
// Errors: those of Message::parse; `unknown_charset` naming the character set; `bad_encoding`
// with the byte offset (in `bytes`, after a UTF-8 BOM), segment and field of the first byte
// that is not valid in the character set.
ParseResult<Message> decode(std::string_view bytes, const DecodeOptions& options = {});

}  // namespace hisbridge::hl7
