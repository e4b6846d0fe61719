#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/router/source.hpp"

namespace hisbridge::file {

struct FileJobOptions {
  // A larger file is not read: it goes to error/ with the reason.
  std::size_t max_file_bytes = 256u << 20;
  // Hand over the whole file as one message, never split it: for files in UTF-16 or UTF-32,
  // whose bytes cannot be split on ASCII segment names.
  bool whole_file = false;
};

// One file of a drop folder while its messages are being ingested: the file's bytes, the
// messages found in them, and the reply each message got.
//
// What is one message:
//   - an XML file (first character `<`, after a BOM and white space): the whole file;
//   - a file starting with a UTF-16 or UTF-32 byte order mark, or any file when
//     `whole_file` is set: the whole file;
//   - a file holding exactly one HL7 message and nothing else: the whole file, so that the
//     store holds the bytes as they were dropped;
//   - otherwise each message hl7::split_messages finds (a batch file, or many messages one
//     after another), from its MSH to its last segment's terminator.
// A file that cannot be read, is too large, or holds no message `failed()`.
class FileJob {
 public:
  // Reads `path`; `name` is how the file is called in envelopes and reasons.
  static FileJob load(const std::filesystem::path& path, std::string name,
                      const FileJobOptions& options);
  static FileJob from_bytes(std::string name, std::string bytes, const FileJobOptions& options);

  const std::string& name() const { return name_; }
  // Why the file could not be taken at all; empty when it could.
  const std::string& failure() const { return failure_; }
  bool failed() const { return !failure_.empty(); }

  std::size_t message_count() const { return spans_.size(); }
  // 0-based; the message's bytes, valid while the FileJob lives and is not moved.
  std::string_view message(std::size_t index) const;

  // Records the reply to message `index` (once; a second reply to it is ignored). True when
  // every message has had its reply.
  bool record(std::size_t index, const router::Reply& reply);
  bool complete() const { return replied_ == spans_.size(); }
  // Every message stored and accepted (AA/CA).
  bool all_accepted() const;
  // Some message could not be stored at all (Reply::message_id 0): sending the file again
  // later may succeed.
  bool any_not_stored() const;

  // The text of `<name>.reason.txt`: why the file failed, or each message's outcome (number,
  // line, control id, the ACK's MSA-1 and ERR text, the stored id), and the lines of the file
  // that belonged to no message.
  std::string reason() const;

 private:
  struct Span {
    std::size_t offset = 0;
    std::size_t size = 0;
    std::size_t line = 1;  // 1-based line of the message's first segment
  };
  struct Outcome {
    bool replied = false;
    bool accepted = false;
    std::int64_t message_id = 0;
    std::string ack_code;    // MSA-1
    std::string control_id;  // MSA-2: the message's MSH-10, as the ACK echoes it
    std::string errors;      // ERR-3.1 and ERR-7 of every ERR, or MSA-3
  };

  FileJob(std::string name, std::string bytes) : name_(std::move(name)), bytes_(std::move(bytes)) {}
  void split(const FileJobOptions& options);

  std::string name_;
  std::string bytes_;
  std::string failure_;
  std::vector<Span> spans_;
  std::vector<Outcome> outcomes_;
  std::vector<std::string> notes_;  // skipped lines and envelope problems, for the reason
  std::size_t replied_ = 0;
};

}  // namespace hisbridge::file
