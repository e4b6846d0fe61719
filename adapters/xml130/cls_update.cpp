#include "adapters/xml130/cls_update.hpp"

#include <algorithm>

#include "adapters/xml130/folder_io.hpp"
#include "adapters/xml130/result_time.hpp"
#include "adapters/xml130/row_check.hpp"

namespace hisbridge::xml130 {
namespace {

// XML 1.0 §2.11: a reader turns CRLF and a lone CR into LF. Doing it before writing keeps a
// value the same after a round trip through the file, so rewriting a file changes nothing.
std::string to_lf(std::string text) {
  if (text.find('\r') == std::string::npos) {
    return text;
  }
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r') {
      out += text[i];
    } else if (i + 1 == text.size() || text[i + 1] != '\n') {
      out += '\n';
    }
  }
  return out;
}

// Which record a message is about: its MA_LK, MA_DICH_VU and MA_CHI_SO as given.
std::string where(const mapping::Record& record) {
  ClsRow row;
  for (const Element e : {Element::ma_lk, Element::ma_dich_vu, Element::ma_chi_so}) {
    row[e] = record.get(name_of(e)).text;
  }
  return "record for " + describe(row);
}

Xml130Result<void> read_column(const mapping::Record& record, std::size_t column,
                               std::optional<int> ngay_kq_offset, ClsUpdate& update) {
  const std::string& name = record.shape->columns[column];
  const auto e = element_named(name);
  if (!e) {
    return fail(Xml130Error::invalid_record,
                "column " + name + " of " + std::string(kClsTable) + " is not a table-4 element");
  }
  const mapping::Value& value = record.values[column];
  if (*e == Element::stt || value.is_null()) {
    return {};
  }
  std::string text = to_lf(std::string(value.text));
  if (*e == Element::ngay_kq && !text.empty()) {
    auto converted = to_ngay_kq(text, ngay_kq_offset);
    if (!converted) {
      return converted.error();
    }
    text = std::move(*converted);
  }
  update.values[static_cast<std::size_t>(*e)] = std::move(text);
  return {};
}

Xml130Result<void> check_update(const ClsUpdate& update) {
  for (std::size_t i = 0; i < kElementCount; ++i) {
    if (update.values[i]) {
      if (auto ok = check_value(static_cast<Element>(i), *update.values[i]); !ok) {
        return ok;
      }
    }
  }
  for (const Element e : {Element::ma_lk, Element::ma_dich_vu}) {
    if (update[e].value_or("").empty()) {
      return fail(Xml130Error::missing_field, std::string(name_of(e)) + " is required and empty");
    }
  }
  if (auto name = episode_file_name(update.ma_lk()); !name) {
    return name.error();
  }
  return {};
}

}  // namespace

Xml130Result<ClsUpdate> read_record(const mapping::Record& record,
                                    std::optional<int> ngay_kq_offset) {
  ClsUpdate update;
  const std::size_t columns = std::min(record.shape->columns.size(), record.values.size());
  for (std::size_t c = 0; c < columns; ++c) {
    if (auto ok = read_column(record, c, ngay_kq_offset, update); !ok) {
      Xml130Failure failure = ok.error();
      failure.detail = where(record) + ": " + failure.detail;
      return failure;
    }
  }
  if (auto ok = check_update(update); !ok) {
    Xml130Failure failure = ok.error();
    failure.detail = where(record) + ": " + failure.detail;
    return failure;
  }
  return update;
}

RowKey key_of(const ClsUpdate& update) {
  return {update[Element::ma_dich_vu].value_or(""), update[Element::ma_chi_so].value_or("")};
}

ClsRow make_row(const ClsUpdate& update) {
  ClsRow row;
  apply(update, row);
  return row;
}

void apply(const ClsUpdate& update, ClsRow& row) {
  for (std::size_t i = 0; i < kElementCount; ++i) {
    if (update.values[i]) {
      row.values[i] = *update.values[i];
    }
  }
}

}  // namespace hisbridge::xml130
