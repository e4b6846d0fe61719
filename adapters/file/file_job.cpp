#include "adapters/file/file_job.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>

#include "engine/hl7/batch.hpp"
#include "engine/hl7/message.hpp"

namespace hisbridge::file {
namespace {

constexpr std::size_t kMaxNoteText = 80;

bool starts_wide(std::string_view bytes) {
  return bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF") ||
         bytes.starts_with(std::string_view("\x00\x00\xFE\xFF", 4));
}

// XML starts with `<` once a UTF-8 BOM and white space are skipped.
bool looks_like_xml(std::string_view bytes) {
  if (bytes.starts_with("\xEF\xBB\xBF")) {
    bytes.remove_prefix(3);
  }
  const std::size_t first = bytes.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && bytes[first] == '<';
}

bool is_blank(std::string_view bytes) {
  if (bytes.starts_with("\xEF\xBB\xBF")) {
    bytes.remove_prefix(3);
  }
  return bytes.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

std::string shortened(std::string_view text) {
  if (text.size() <= kMaxNoteText) {
    return std::string(text);
  }
  return std::string(text.substr(0, kMaxNoteText)) + "...";
}

// ERR-3.1 and ERR-7 of each ERR (v2.5), else ERR-1 (v2.3 and before), else MSA-3.
std::string errors_of(const hl7::Message& ack) {
  std::string out;
  for (const hl7::Segment& err : ack.all("ERR")) {
    std::string one = err.field(3).component(1).value();
    std::string text = err.field(7).value();
    if (text.empty()) {
      text = err.field(3).component(2).value();
    }
    if (one.empty() && text.empty()) {
      text = err.field(1).value();
    }
    if (!text.empty()) {
      one += one.empty() ? text : " " + text;
    }
    if (!one.empty()) {
      out += out.empty() ? one : "; " + one;
    }
  }
  if (out.empty()) {
    out = ack.get("MSA-3").value();
  }
  return out;
}

}  // namespace

FileJob FileJob::load(const std::filesystem::path& path, std::string name,
                      const FileJobOptions& options) {
  FileJob job(std::move(name), {});
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) {
    job.failure_ = "the file cannot be read: " + ec.message();
    return job;
  }
  if (size > options.max_file_bytes) {
    job.failure_ = "the file is " + std::to_string(size) + " bytes, more than the " +
                   std::to_string(options.max_file_bytes) + " a drop folder file may hold";
    return job;
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    job.failure_ = "the file cannot be read: " +
                   std::string(errno != 0 ? std::strerror(errno) : "open failed");
    return job;
  }
  job.bytes_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) {
    job.failure_ = "the file cannot be read: read error";
    return job;
  }
  job.split(options);
  return job;
}

FileJob FileJob::from_bytes(std::string name, std::string bytes, const FileJobOptions& options) {
  FileJob job(std::move(name), std::move(bytes));
  job.split(options);
  return job;
}

void FileJob::split(const FileJobOptions& options) {
  if (is_blank(bytes_)) {
    failure_ = bytes_.empty() ? "the file is empty" : "the file holds only white space";
    return;
  }
  if (options.whole_file || starts_wide(bytes_) || looks_like_xml(bytes_)) {
    spans_.push_back({0, bytes_.size(), 1});
  } else {
    const hl7::Batch batch = hl7::split_messages(bytes_);
    for (std::size_t i = 0; i < batch.messages.size(); ++i) {
      const auto offset = static_cast<std::size_t>(batch.messages[i].data() - bytes_.data());
      spans_.push_back({offset, batch.messages[i].size(), batch.message_lines[i]});
    }
    for (const hl7::SkippedLine& skipped : batch.skipped) {
      notes_.push_back("line " + std::to_string(skipped.line) +
                       " belongs to no message: " + shortened(skipped.text));
    }
    for (const hl7::ParseError& problem : batch.problems) {
      notes_.push_back("batch envelope: " + problem.message());
    }
    if (spans_.empty()) {
      failure_ = "the file holds no HL7 message (no line starts with MSH)";
      return;
    }
    const bool plain =
        spans_.size() == 1 && notes_.empty() && batch.file_header.empty() && batch.batches.empty();
    if (plain) {
      spans_.front() = {0, bytes_.size(), 1};  // nothing else in the file: store it as it is
    }
  }
  outcomes_.resize(spans_.size());
}

std::string_view FileJob::message(std::size_t index) const {
  const Span& s = spans_.at(index);
  return std::string_view(bytes_).substr(s.offset, s.size);
}

bool FileJob::record(std::size_t index, const router::Reply& reply) {
  Outcome& o = outcomes_.at(index);
  if (o.replied) {
    return complete();
  }
  o.replied = true;
  o.accepted = reply.accepted;
  o.message_id = reply.message_id;
  if (auto ack = hl7::Message::parse(reply.ack)) {
    o.ack_code = ack->get("MSA-1").value();
    o.control_id = ack->get("MSA-2").value();
    o.errors = errors_of(*ack);
  }
  ++replied_;
  return complete();
}

bool FileJob::all_accepted() const {
  if (failed() || !complete()) {
    return false;
  }
  for (const Outcome& o : outcomes_) {
    if (!o.accepted) {
      return false;
    }
  }
  return true;
}

bool FileJob::any_not_stored() const {
  for (const Outcome& o : outcomes_) {
    if (o.replied && o.message_id == 0) {
      return true;
    }
  }
  return false;
}

std::string FileJob::reason() const {
  if (failed()) {
    return name_ + ": " + failure_ + "\n";
  }
  std::size_t accepted = 0;
  for (const Outcome& o : outcomes_) {
    accepted += o.accepted ? 1u : 0u;
  }
  std::string out = name_ + ": " + std::to_string(accepted) + " of " +
                    std::to_string(spans_.size()) + " messages accepted\n";
  for (std::size_t i = 0; i < spans_.size(); ++i) {
    const Outcome& o = outcomes_[i];
    out += "message " + std::to_string(i + 1) + " (line " + std::to_string(spans_[i].line) +
           ", control id " + (o.control_id.empty() ? "unknown" : o.control_id) + "): ";
    if (!o.replied) {
      out += "no answer\n";
      continue;
    }
    out += o.ack_code.empty() ? "no ACK" : o.ack_code;
    out +=
        o.message_id != 0 ? ", stored as message " + std::to_string(o.message_id) : ", not stored";
    out += o.errors.empty() ? "\n" : ": " + o.errors + "\n";
  }
  for (const std::string& note : notes_) {
    out += note + "\n";
  }
  return out;
}

}  // namespace hisbridge::file
