#pragma once

#include <iosfwd>
#include <string>

namespace hisbridge::app {

struct MapOptions {
  std::string mapping;  // the mapping file
  std::string file;     // one message, a batch, or many (or one XML document)
  std::string charset;  // overrides MSH-18 when set
  std::string timezone = "Asia/Ho_Chi_Minh";
};

// `hisbridge map --mapping FILE MESSAGE`: the records and clinical events each message maps
// to, as stable JSON (one document; "messages" in file order), for an interface analyst to
// try a mapping change before deploying it. Exit status 0; 2 when the mapping file is invalid
// (every error printed with file, line and column) or a message cannot be read or mapped
// (the reason printed; the other messages are still mapped).
int run_map(const MapOptions& options, std::ostream& out, std::ostream& err);

}  // namespace hisbridge::app
