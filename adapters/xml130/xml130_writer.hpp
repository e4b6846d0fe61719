#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "adapters/xml130/cls_update.hpp"
#include "adapters/xml130/error.hpp"
#include "engine/mapping/record.hpp"

namespace hisbridge::xml130 {

struct Xml130Options {
  // Create the folder (and its parents) when it does not exist. Off by default: a mistyped
  // folder in the configuration should stop the destination, not fill a folder no one reads.
  bool create_folder = false;
  // NGAY_KQ is written as the wall-clock time at this offset, in minutes east of UTC: 420 is
  // Vietnam (+07:00), so a result time sent in UTC is still written in local time. nullopt
  // writes the digits of each value as they are, whatever offset it carries.
  std::optional<int> ngay_kq_offset_minutes = 420;
};

// Writes the records of the pseudo-table xml130_cls as table-4 files of QĐ 130/QĐ-BYT (as
// amended by QĐ 4750/QĐ-BYT), "XML4": one file `<folder>/<MA_LK>.xml` per treatment episode,
// `CHITIEU_CHITIET_DICHVUCANLAMSANG/DSACH_CHI_TIET_CLS/CHI_TIET_CLS`, UTF-8.
//
// Each write merges into the files already there: rows are keyed by (MA_DICH_VU, MA_CHI_SO);
// a record for a key the file holds replaces that row in place (a corrected result), its null
// values keeping what the row held; a new key is appended. STT is numbered 1..n in file order.
// The same records written twice leave byte-identical files (the second write finds nothing
// to change and writes nothing).
//
// A write is checked whole before any file is touched: a value too long for its element, a
// required element empty, a record that cannot be read, or an existing file that cannot be
// merged fails the call and leaves every file as it was. An io failure while files are being
// replaced may leave some episodes written and others not; each file is always whole, and
// writing the same records again completes the rest.
//
// Synchronous (file I/O and fsync): call it from the destination's own thread, not from a
// network executor. One object must not be used from two threads at once; writers in other
// objects or processes on the same folder take turns (FolderLock).
class Xml130Writer {
 public:
  // Checks that `folder` is a directory (or creates it, see Xml130Options). Fails with io.
  static Xml130Result<Xml130Writer> open(std::filesystem::path folder, Xml130Options options = {});

  // Writes the xml130_cls records among `records`; records of other tables are skipped.
  Xml130Result<void> write(std::span<const mapping::Record> records);

  const std::filesystem::path& folder() const { return folder_; }

 private:
  struct PendingFile {
    std::string name;
    std::string bytes;
  };

  Xml130Writer(std::filesystem::path folder, Xml130Options options)
      : folder_(std::move(folder)), options_(options) {}

  // The new bytes of the episode's file, or nullopt when they are the bytes it already has.
  Xml130Result<std::optional<PendingFile>> merge_episode(const std::string& ma_lk,
                                                         std::span<const ClsUpdate> updates) const;

  std::filesystem::path folder_;
  Xml130Options options_;
};

}  // namespace hisbridge::xml130
