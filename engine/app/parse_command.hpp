#pragma once

#include <iosfwd>
#include <string>

namespace hisbridge::app {

struct ParseOptions {
  std::string file;
  bool json = false;
  std::string charset;  // overrides MSH-18 when set (e.g. CP1258 for a legacy sender)
};

// `hisbridge parse FILE [--json]`: every message in FILE (one, a batch, or many separated by
// blank lines) as a tree, or as JSON. Exit status 0, or 2 when a message cannot be read.
int run_parse(const ParseOptions& options, std::ostream& out, std::ostream& err);

}  // namespace hisbridge::app
