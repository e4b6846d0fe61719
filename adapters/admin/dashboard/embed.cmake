# Writes a C++ source that holds the dashboard's files as byte arrays, with their content types
# and entity tags, for adapters/admin/dashboard_assets.hpp. Run in script mode at build time:
#
#   cmake -DOUTPUT=out.cpp -DFILES="index.html=/path/index.html|app.js=/path/app.js" -P embed.cmake
#
# FILES separates its NAME=PATH pairs with `|` (a `;` would be split by the build tool).

if(NOT OUTPUT OR NOT FILES)
  message(FATAL_ERROR "embed.cmake: OUTPUT and FILES are required")
endif()

# The Content-Type sent for a file, by its extension.
function(dashboard_content_type name out)
  string(REGEX MATCH "\\.[^.]+$" ext "${name}")
  string(TOLOWER "${ext}" ext)
  if(ext STREQUAL ".html")
    set(type "text/html; charset=utf-8")
  elseif(ext STREQUAL ".js")
    set(type "text/javascript; charset=utf-8")
  elseif(ext STREQUAL ".css")
    set(type "text/css; charset=utf-8")
  elseif(ext STREQUAL ".svg")
    set(type "image/svg+xml")
  elseif(ext STREQUAL ".png")
    set(type "image/png")
  else()
    message(FATAL_ERROR "embed.cmake: no content type known for ${name}")
  endif()
  set(${out} "${type}" PARENT_SCOPE)
endfunction()

set(arrays "")
set(entries "")
set(index 0)
string(REPLACE "|" ";" pairs "${FILES}")
foreach(pair IN LISTS pairs)
  if(NOT pair MATCHES "^([^=]+)=(.+)$")
    message(FATAL_ERROR "embed.cmake: not NAME=PATH: ${pair}")
  endif()
  set(name "${CMAKE_MATCH_1}")
  set(path "${CMAKE_MATCH_2}")
  if(NOT EXISTS "${path}")
    message(FATAL_ERROR "embed.cmake: ${path} is missing")
  endif()
  dashboard_content_type("${name}" type)
  file(READ "${path}" hex HEX)
  file(SHA256 "${path}" digest)
  string(SUBSTRING "${digest}" 0 20 etag)
  string(LENGTH "${hex}" hex_length)
  math(EXPR size "${hex_length} / 2")
  if(size EQUAL 0)
    set(bytes "0x00")
  else()
    # 0xNN, for every byte, 20 to a line.
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
    string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){20})" "\\1\n" bytes "${bytes}")
  endif()
  string(APPEND arrays "// ${name}\nconst unsigned char kFile${index}[] = {\n${bytes}\n};\n\n")
  string(APPEND entries
    "      {\"${name}\", \"${type}\", \"\\\"${etag}\\\"\", bytes(kFile${index}, ${size})},\n")
  math(EXPR index "${index} + 1")
endforeach()

set(source "// Generated at build time by adapters/admin/dashboard/embed.cmake from the dashboard's
// files and the charting library it loads. Do not edit: edit adapters/admin/dashboard/.
#include <cstddef>
#include <span>
#include <string_view>

#include \"adapters/admin/dashboard_assets.hpp\"

namespace hisbridge::admin {
namespace {

${arrays}std::string_view bytes(const unsigned char* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace

std::span<const DashboardAsset> dashboard_assets() {
  static const DashboardAsset assets[] = {
${entries}  };
  return assets;
}

}  // namespace hisbridge::admin
")

file(WRITE "${OUTPUT}" "${source}")
