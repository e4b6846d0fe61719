#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/mapping/lookup_table.hpp"

using namespace hisbridge::mapping;

// Lookup tables are CSV files IT staff edit: any text either loads into a table whose every row is
// found again by its key, or fails with a position inside the text.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto table = LookupTable::parse(text, "fuzz.csv");
  if (!table) {
    if (table.error().line == 0 || table.error().column == 0 || table.error().message.empty()) {
      __builtin_trap();
    }
    return 0;
  }
  const std::size_t columns = table->columns().size();
  if (columns == 0) {
    __builtin_trap();
  }
  for (std::size_t row = 0; row < table->size(); ++row) {
    const std::string& key = table->cell(row, 0);
    for (std::size_t column = 0; column < columns; ++column) {
      const std::string* found = table->find(key, table->columns()[column]);
      if (found != &table->cell(row, column)) {
        __builtin_trap();
      }
    }
  }
  (void)table->find(text, std::size_t{0});
  return 0;
}
