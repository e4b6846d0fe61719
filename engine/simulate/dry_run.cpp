#include "engine/simulate/dry_run.hpp"

#include <cstdio>
#include <fstream>

namespace hisbridge::simulate {
namespace {

std::string file_name(std::size_t number, const Outgoing& m) {
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "%06zu-", number);
  std::string type = m.message_type;
  for (char& c : type) {
    c = c == '^' ? '_' : c;
  }
  return prefix + type + "-" + m.control_id + ".hl7";
}

bool write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

}  // namespace

Result<std::size_t, DryRunError> write_dry_run(TrafficGenerator& traffic,
                                               const std::filesystem::path& folder,
                                               UtcOffset offset) {
  std::error_code ec;
  for (const char* sub : {"lis", "ris"}) {
    std::filesystem::create_directories(folder / sub, ec);
    if (ec) {
      return DryRunError{(folder / sub).string() + ": " + ec.message()};
    }
  }
  const std::filesystem::path manifest_path = folder / "manifest.tsv";
  std::ofstream manifest(manifest_path, std::ios::binary | std::ios::trunc);
  manifest << "number\ttime\tdestination\ttype\tstep\tcontrol_id\tvisit\torder\tmalformed\tfile\n";
  std::size_t written = 0;
  while (auto m = traffic.next()) {
    const std::string name = file_name(++written, *m);
    const std::filesystem::path relative =
        std::filesystem::path(std::string(destination_name(m->destination))) / name;
    if (!write_file(folder / relative, m->bytes)) {
      return DryRunError{(folder / relative).string() + ": cannot write"};
    }
    manifest << written << '\t' << iso_time(m->at, offset) << '\t'
             << destination_name(m->destination) << '\t' << m->message_type << '\t'
             << step_name(m->step) << '\t' << m->control_id << '\t' << m->visit_no << '\t'
             << m->order_no << '\t' << m->malformed_kind << '\t' << relative.string() << '\n';
  }
  manifest.flush();
  if (!manifest) {
    return DryRunError{manifest_path.string() + ": cannot write"};
  }
  return written;
}

}  // namespace hisbridge::simulate
