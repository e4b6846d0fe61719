#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/xml130/cls_row.hpp"
#include "adapters/xml130/error.hpp"
#include "engine/mapping/record.hpp"

namespace hisbridge::xml130 {

// The pseudo-table whose records this writer turns into table-4 rows; records of any other
// table belong to other destinations.
inline constexpr std::string_view kClsTable = "xml130_cls";

// What one xml130_cls record says of its row. An element is nullopt when the record has no
// such column or its value is null: "not known from this message", so an existing row keeps
// what it holds (record.hpp); an empty text value does clear it.
struct ClsUpdate {
  std::array<std::optional<std::string>, kElementCount> values;

  const std::optional<std::string>& operator[](Element e) const {
    return values[static_cast<std::size_t>(e)];
  }
  const std::string& ma_lk() const { return *(*this)[Element::ma_lk]; }
};

// Reads an xml130_cls record. Its columns must be named exactly as table-4 elements (a
// misspelt column would otherwise drop its values unseen); a column STT is allowed and
// ignored, the writer numbers rows itself. Line ends become LF (CRLF and CR, as XML readers
// do anyway); NGAY_KQ becomes yyyymmddHHMM (to_ngay_kq, `ngay_kq_offset`); each value given
// passes check_value. MA_LK and MA_DICH_VU, the file and the row the record goes to, must
// not be empty, and MA_LK must name a file (episode_file_name).
Xml130Result<ClsUpdate> read_record(const mapping::Record& record,
                                    std::optional<int> ngay_kq_offset);

// The row `update` addresses; a null MA_CHI_SO is the empty index.
RowKey key_of(const ClsUpdate& update);

// A row holding what `update` gives, empty elsewhere.
ClsRow make_row(const ClsUpdate& update);

// Sets in `row` each element `update` gives; the others keep their values.
void apply(const ClsUpdate& update, ClsRow& row);

}  // namespace hisbridge::xml130
