#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/xml130/cls_row.hpp"
#include "adapters/xml130/error.hpp"

namespace hisbridge::xml130 {

// The rows of an existing episode file, in file order. The file must be one this writer
// could have written for `ma_lk`: root CHITIEU_CHITIET_DICHVUCANLAMSANG, one
// DSACH_CHI_TIET_CLS, CHI_TIET_CLS rows holding only table-4 elements, every MA_LK equal to
// `ma_lk`, no two rows with the same key. An element a row lacks reads as empty; STT is
// ignored (the writer numbers again). Anything else is corrupt_file, `file_label` naming the
// file: merging into a file that holds what this writer does not understand could lose it.
Xml130Result<std::vector<ClsRow>> parse_cls_file(std::string_view bytes, std::string_view ma_lk,
                                                 std::string_view file_label);

// The whole file for `rows`: `<?xml version="1.0" encoding="utf-8"?>`, every element of each
// row in table order, STT 1..n, text escaped, two-space indent, LF line ends. The same rows
// always give the same bytes.
std::string render_cls_file(std::span<const ClsRow> rows);

}  // namespace hisbridge::xml130
