#include "engine/hl7/charset.hpp"

#include <iconv.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <utility>

#include "engine/hl7/utf8.hpp"

namespace hisbridge::hl7 {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr std::size_t kMaxNameLength = 64;

// An iconv descriptor converting to UTF-8, closed when it goes out of scope. Descriptors keep
// shift state, so each conversion opens its own and none is shared between threads.
class Iconv {
 public:
  explicit Iconv(const std::string& from) : cd_(iconv_open("UTF-8", from.c_str())) {}
  ~Iconv() {
    if (ok()) {
      iconv_close(cd_);
    }
  }
  Iconv(const Iconv&) = delete;
  Iconv& operator=(const Iconv&) = delete;

  bool ok() const { return cd_ != reinterpret_cast<iconv_t>(-1); }
  iconv_t get() const { return cd_; }

 private:
  iconv_t cd_;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return out;
}

// The name without '-', '_' and spaces, upper-case: "utf-8", "UTF8" and "Utf_8" all match.
std::string squeeze(std::string_view s) {
  std::string out;
  for (char c : upper(s)) {
    if (c != '-' && c != '_' && c != ' ') {
      out += c;
    }
  }
  return out;
}

// MSH-18 comes from the sender: only names made of the characters real charset names use go
// on to iconv, and never iconv's "//IGNORE"-style suffixes.
bool plausible_name(std::string_view name) {
  if (name.size() > kMaxNameLength || name.find("//") != std::string_view::npos) {
    return false;
  }
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == ' ' || c == '-' || c == '_' || c == '/' || c == '.' || c == ':' ||
                    c == '(' || c == ')' || c == '+';
    if (!ok) {
      return false;
    }
  }
  return true;
}

bool all_digits(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

// HL7 table 0211 (v2.5.1 §2.15.9.18, v2.8 adds the UNICODE UTF-n names) to iconv names.
// `key` is upper-case and trimmed. Empty when the table does not name it.
std::string table_0211(const std::string& key) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 17> kTable{{
      {"", "UTF-8"},
      {"ASCII", "UTF-8"},
      {"ISO IR6", "UTF-8"},
      {"ISO IR192", "UTF-8"},
      {"UNICODE", "UTF-8"},  // deprecated in v2.5; an 8-bit message that says it is UTF-8
      {"UNICODE UTF-8", "UTF-8"},
      {"UNICODE UTF-16", "UTF-16"},
      {"UNICODE UTF-32", "UTF-32"},
      {"ISO IR100", "ISO-8859-1"},
      {"ISO IR87", "ISO-2022-JP"},
      {"ISO IR159", "ISO-2022-JP-2"},
      {"JAS2020", "ISO-2022-JP"},
      {"JIS X 0202", "ISO-2022-JP"},
      {"BIG-5", "BIG5"},
      {"CNS 11643-1992", "EUC-TW"},
      {"GB 18030-2000", "GB18030"},
      {"KS X 1001", "EUC-KR"},
  }};
  for (const auto& [hl7, iconv] : kTable) {
    if (key == hl7) {
      return std::string(iconv);
    }
  }
  if (key.starts_with("8859/") && all_digits(std::string_view(key).substr(5))) {
    return "ISO-8859-" + key.substr(5);
  }
  if (key.starts_with("ISO IR") && all_digits(std::string_view(key).substr(6))) {
    return "ISO-IR-" + key.substr(6);
  }
  return {};
}

Charset::Form form_of(const std::string& iconv_name) {
  const std::string s = squeeze(iconv_name);
  if (s == "UTF8") {
    return Charset::Form::utf8;
  }
  if (s.starts_with("UTF16") || s.starts_with("UTF32") || s.starts_with("UCS2") ||
      s.starts_with("UCS4")) {
    return Charset::Form::wide;
  }
  return Charset::Form::ascii_compatible;
}

// A UTF-16 or UTF-32 message, told by its byte order mark or by how `MSH` is spelt in it.
std::string sniff_wide(std::string_view b) {
  auto starts = [&](std::string_view prefix) { return b.starts_with(prefix); };
  using namespace std::string_view_literals;
  if (starts("\xFF\xFE\0\0"sv) || starts("M\0\0\0S\0\0\0"sv)) {
    return "UTF-32LE";
  }
  if (starts("\0\0\xFE\xFF"sv) || starts("\0\0\0M\0\0\0S"sv)) {
    return "UTF-32BE";
  }
  if (starts("\xFF\xFE"sv) || starts("M\0S\0"sv)) {
    return "UTF-16LE";
  }
  if (starts("\xFE\xFF"sv) || starts("\0M\0S"sv)) {
    return "UTF-16BE";
  }
  return {};
}

std::string hex_byte(char c) {
  std::array<char, 8> buf{};
  std::snprintf(buf.data(), buf.size(), "0x%02X",
                static_cast<unsigned>(static_cast<unsigned char>(c)));
  return buf.data();
}

ParseError encoding_error(std::size_t offset, std::string detail) {
  ParseError e;
  e.code = Error::bad_encoding;
  e.offset = offset;
  e.detail = std::move(detail);
  return e;
}

// Fills in the segment and field holding `offset` (in message.raw()).
void locate(const Message& message, std::size_t offset, ParseError& e) {
  const char* at = message.raw().data() + offset;
  for (std::size_t i = 1; i <= message.segment_count(); ++i) {
    const Segment s = message.segment(i);
    const char* begin = s.raw().data();
    if (at < begin || at >= begin + s.raw().size() + s.terminator().size()) {
      continue;
    }
    e.segment = i;
    const char fs = message.delimiters().field;
    std::size_t separators = 0;
    for (const char* p = begin; p < at && p < begin + s.raw().size(); ++p) {
      separators += *p == fs ? 1 : 0;
    }
    // In MSH the first separator is MSH-1 itself, so the text after it is MSH-2.
    e.field = s.is_msh() ? separators + 1 : separators;
    return;
  }
}

// How far `raw` (a view into `bytes`) starts from the beginning of `bytes` after a UTF-8 BOM:
// ParseError offsets count from there.
std::size_t raw_base(std::string_view bytes, std::string_view raw) {
  auto base = static_cast<std::size_t>(raw.data() - bytes.data());
  return bytes.starts_with(kUtf8Bom) ? base - kUtf8Bom.size() : base;
}

// MSH-18's first repetition: the character set of the whole message. When it is empty or
// ASCII and a later repetition names a JIS set, the sender uses ISO 2022 code extension
// (MSH-20, as Japanese senders declare `~ISO IR87`): the escape sequences switch sets inside
// the text, which ISO-2022-JP-2 decodes.
std::string declared_charset_name(const Segment& msh) {
  const Element field = msh.field(18);
  std::string first = field.repetition(1).value();
  const std::string key = upper(trim(first));
  if (!key.empty() && key != "ASCII" && key != "ISO IR6") {
    return first;
  }
  for (std::size_t r = 2; r <= field.repetition_count(); ++r) {
    const std::string other = upper(trim(field.repetition(r).value()));
    if (other == "ISO IR14" || other == "ISO IR87" || other == "ISO IR159") {
      return "ISO-2022-JP-2";
    }
  }
  return first;
}

// UTF-16 and UTF-32 put zero bytes between the delimiters, so the message is converted
// before it is parsed. Error offsets are then in the converted text, except bad_encoding's.
ParseResult<Message> decode_wide(std::string_view bytes, std::string_view iconv_name,
                                 const ParseOptions& options) {
  auto charset = Charset::resolve(iconv_name);
  if (!charset) {
    return charset.error();
  }
  auto text = charset->to_utf8(bytes);
  if (!text) {
    return text.error();
  }
  return Message::parse_owned(std::move(*text), options);
}

// The message's text in `charset`, converted and parsed again from bytes it owns.
ParseResult<Message> convert(std::string_view bytes, const Message& parsed, const Charset& charset,
                             const ParseOptions& options) {
  auto text = charset.to_utf8(parsed.raw());
  if (!text) {
    ParseError e = text.error();
    locate(parsed, e.offset, e);
    e.offset += raw_base(bytes, parsed.raw());
    return e;
  }
  // The limit is on what the sender sent; UTF-8 may take up to three bytes for each of them.
  ParseOptions relaxed = options;
  relaxed.max_message_bytes = std::max(options.max_message_bytes, text->size());
  return Message::parse_owned(std::move(*text), relaxed);
}

// The encoding to convert from before parsing: the one a UTF-16/32 message shows in its first
// bytes, else a wide override. Empty for 8-bit messages, and whenever an 8-bit override is set.
std::string wide_encoding(std::string_view bytes, const std::optional<Charset>& chosen) {
  const bool wide_override = chosen && chosen->form() == Charset::Form::wide;
  if (chosen && !wide_override) {
    return {};
  }
  std::string sniffed = sniff_wide(bytes);
  if (!sniffed.empty() || !wide_override) {
    return sniffed;
  }
  return chosen->iconv_name();
}

// The character set MSH-18 declares, resolved; an unknown one is reported at MSH-18.
ParseResult<Charset> declared_charset(std::string_view bytes, const Message& parsed) {
  const Segment msh = parsed.segment(1);
  auto resolved = Charset::resolve(declared_charset_name(msh));
  if (resolved) {
    return resolved;
  }
  ParseError e = resolved.error();
  e.detail = "MSH-18: " + e.detail;
  e.segment = 1;
  e.field = 18;
  e.offset = raw_base(bytes, parsed.raw()) +
             static_cast<std::size_t>(msh.field(18).raw().data() - parsed.raw().data());
  return e;
}

// The zero-copy parse, once its bytes are known to be well-formed UTF-8.
ParseResult<Message> checked_utf8(std::string_view bytes, ParseResult<Message> parsed,
                                  const Charset& charset) {
  const std::string_view raw = parsed->raw();
  const std::size_t bad = find_invalid_utf8(raw);
  if (bad == std::string_view::npos) {
    return parsed;
  }
  ParseError e = encoding_error(raw_base(bytes, raw) + bad,
                                "byte " + hex_byte(raw[bad]) +
                                    " is not valid UTF-8 (character set '" + charset.name() +
                                    "'); if the sender uses another, set the source's charset");
  locate(*parsed, bad, e);
  return e;
}

}  // namespace

ParseResult<Charset> Charset::resolve(std::string_view name) {
  if (name.empty() || name == "UNICODE UTF-8") {
    return Charset(std::string(name), "UTF-8", Form::utf8);  // nearly every message
  }
  const std::string_view trimmed = trim(name);
  ParseError e;
  e.code = Error::unknown_charset;
  if (!plausible_name(trimmed)) {
    e.detail =
        "'" + std::string(trimmed.substr(0, kMaxNameLength)) + "' is not a character set name";
    return e;
  }
  std::string iconv_name = table_0211(upper(trimmed));
  if (iconv_name.empty()) {
    iconv_name = std::string(trimmed);
  }
  const Form form = form_of(iconv_name);
  if (form != Form::utf8 && !Iconv(iconv_name).ok()) {
    e.detail = "'" + std::string(trimmed) + "' is not a character set iconv can convert from";
    return e;
  }
  return Charset(std::string(trimmed), std::move(iconv_name), form);
}

ParseResult<std::string> Charset::to_utf8(std::string_view bytes) const {
  if (form_ == Form::utf8) {
    if (const std::size_t bad = find_invalid_utf8(bytes); bad != std::string_view::npos) {
      return encoding_error(bad, "byte " + hex_byte(bytes[bad]) + " is not valid UTF-8");
    }
    return std::string(bytes);
  }
  Iconv cd(iconv_name_);
  if (!cd.ok()) {
    ParseError e;
    e.code = Error::unknown_charset;
    e.detail = "'" + name_ + "' is not a character set iconv can convert from";
    return e;
  }
  std::string out(bytes.size() + bytes.size() / 2 + 64, '\0');
  char* in = const_cast<char*>(bytes.data());  // iconv's signature; it never writes there
  std::size_t in_left = bytes.size();
  std::size_t used = 0;
  // One call converts everything unless the output fills up (E2BIG: grow it and go on) or
  // the input is bad. Once the input is used up, a call without input flushes what the
  // converter holds back: CP1258 keeps the last letter until it knows no combining mark follows.
  bool flushed = false;
  while (!flushed) {
    char* out_ptr = out.data() + used;
    std::size_t out_left = out.size() - used;
    const bool flushing = in_left == 0;
    const std::size_t rc = flushing ? iconv(cd.get(), nullptr, nullptr, &out_ptr, &out_left)
                                    : iconv(cd.get(), &in, &in_left, &out_ptr, &out_left);
    const int err = errno;
    used = static_cast<std::size_t>(out_ptr - out.data());
    if (rc != static_cast<std::size_t>(-1)) {
      flushed = flushing;
      continue;
    }
    if (err == E2BIG) {
      out.resize(out.size() * 2);
      continue;
    }
    const auto offset = static_cast<std::size_t>(in - bytes.data());
    if (err == EINVAL || offset >= bytes.size()) {
      return encoding_error(offset, "the text ends inside a " + name_ + " character");
    }
    return encoding_error(offset, "byte " + hex_byte(bytes[offset]) + " is not valid " + name_);
  }
  out.resize(used);
  return out;
}

ParseResult<Message> decode(std::string_view bytes, const DecodeOptions& options) {
  std::optional<Charset> charset;
  if (!options.charset_override.empty()) {
    auto resolved = Charset::resolve(options.charset_override);
    if (!resolved) {
      ParseError e = resolved.error();
      e.detail = "source charset setting: " + e.detail;
      return e;
    }
    charset = std::move(*resolved);
  }
  if (const std::string wide = wide_encoding(bytes, charset); !wide.empty()) {
    return decode_wide(bytes, wide, options.parse);
  }
  auto parsed = Message::parse(bytes, options.parse);
  if (!parsed) {
    return parsed;
  }
  if (!charset) {
    auto declared = declared_charset(bytes, *parsed);
    if (!declared) {
      return declared.error();
    }
    charset = std::move(*declared);
  }
  switch (charset->form()) {
    case Charset::Form::utf8:
      return checked_utf8(bytes, std::move(parsed), *charset);
    case Charset::Form::wide: {
      ParseError e = encoding_error(
          0, "MSH-18 declares '" + charset->name() + "', but the message is 8-bit text");
      e.segment = 1;
      e.field = 18;
      return e;
    }
    case Charset::Form::ascii_compatible:
      break;
  }
  return convert(bytes, *parsed, *charset, options.parse);
}

}  // namespace hisbridge::hl7
