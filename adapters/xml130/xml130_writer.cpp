#include "adapters/xml130/xml130_writer.hpp"

#include <map>
#include <system_error>

#include "adapters/xml130/cls_document.hpp"
#include "adapters/xml130/folder_io.hpp"
#include "adapters/xml130/row_check.hpp"

namespace hisbridge::xml130 {
namespace {

namespace fs = std::filesystem;

using Episodes = std::map<std::string, std::vector<ClsUpdate>>;

// The xml130_cls records grouped by MA_LK, in record order within each episode.
Xml130Result<Episodes> group(std::span<const mapping::Record> records,
                             std::optional<int> ngay_kq_offset) {
  Episodes episodes;
  for (const mapping::Record& record : records) {
    if (!record.shape) {
      return fail(Xml130Error::invalid_record, "record without a shape (no table, no columns)");
    }
    if (record.table() != kClsTable) {
      continue;
    }
    auto update = read_record(record, ngay_kq_offset);
    if (!update) {
      return update.error();
    }
    std::string ma_lk = update->ma_lk();
    episodes[std::move(ma_lk)].push_back(std::move(*update));
  }
  return episodes;
}

// Applies `updates` to `rows` in order: a known key is replaced in place, a new one appended.
void merge(std::vector<ClsRow>& rows, std::span<const ClsUpdate> updates) {
  std::map<RowKey, std::size_t> index;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    index.emplace(key_of(rows[i]), i);
  }
  for (const ClsUpdate& update : updates) {
    const auto [at, added] = index.emplace(key_of(update), rows.size());
    if (added) {
      rows.push_back(make_row(update));
    } else {
      apply(update, rows[at->second]);
    }
  }
}

}  // namespace

Xml130Result<Xml130Writer> Xml130Writer::open(fs::path folder, Xml130Options options) {
  std::error_code ec;
  if (options.create_folder) {
    fs::create_directories(folder, ec);
    if (ec) {
      return fail(Xml130Error::io, "cannot create folder " + folder.string() + ": " + ec.message());
    }
  }
  if (!fs::is_directory(folder, ec)) {
    return fail(Xml130Error::io, "table-4 output folder " + folder.string() +
                                     " is not a directory" +
                                     (ec ? ": " + ec.message() : std::string()));
  }
  return Xml130Writer(std::move(folder), options);
}

Xml130Result<void> Xml130Writer::write(std::span<const mapping::Record> records) {
  auto episodes = group(records, options_.ngay_kq_offset_minutes);
  if (!episodes) {
    return episodes.error();
  }
  if (episodes->empty()) {
    return {};
  }
  auto lock = FolderLock::acquire(folder_);
  if (!lock) {
    return lock.error();
  }
  // Every file is merged and checked before the first is replaced: a bad record anywhere
  // leaves all files untouched.
  std::vector<PendingFile> pending;
  for (const auto& [ma_lk, updates] : *episodes) {
    auto file = merge_episode(ma_lk, updates);
    if (!file) {
      return file.error();
    }
    if (*file) {
      pending.push_back(std::move(**file));
    }
  }
  for (const PendingFile& file : pending) {
    if (auto replaced = replace_file(folder_, file.name, file.bytes); !replaced) {
      (void)sync_folder(folder_);  // keep the renames already done; the error is the one to report
      return replaced;
    }
  }
  return pending.empty() ? Xml130Result<void>{} : sync_folder(folder_);
}

Xml130Result<std::optional<Xml130Writer::PendingFile>> Xml130Writer::merge_episode(
    const std::string& ma_lk, std::span<const ClsUpdate> updates) const {
  auto name = episode_file_name(ma_lk);
  if (!name) {
    return name.error();
  }
  const fs::path path = folder_ / *name;
  auto existing = read_file_if_exists(path);
  if (!existing) {
    return existing.error();
  }
  std::vector<ClsRow> rows;
  if (*existing) {
    auto parsed = parse_cls_file(**existing, ma_lk, path.string());
    if (!parsed) {
      return parsed.error();
    }
    rows = std::move(*parsed);
  }
  merge(rows, updates);
  for (const ClsRow& row : rows) {
    if (auto ok = check_row(row); !ok) {
      return ok.error();
    }
  }
  std::string bytes = render_cls_file(rows);
  if (*existing && **existing == bytes) {
    return std::optional<PendingFile>();
  }
  return std::optional<PendingFile>(PendingFile{std::move(*name), std::move(bytes)});
}

}  // namespace hisbridge::xml130
