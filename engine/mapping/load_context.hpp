#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/config/json_reader.hpp"
#include "engine/mapping/program.hpp"

namespace hisbridge::mapping {

// What the parts of the loader share while one mapping file is compiled: the program being
// built, where to report errors, and what names are visible at the spot being read. Internal
// to engine/mapping (mapping_loader.cpp, expression_loader.cpp).
struct LoadContext {
  Program& program;
  config::ErrorSink& sink;
  const config::SourceMap& map;  // where each value is in the file
  // Columns of the record rule being read, in order; `{"column": ...}` may name only those
  // before the column being read (record_columns_ready of them).
  const std::vector<std::string>* record_columns = nullptr;
  std::size_t record_columns_ready = 0;
  // Names of `define`s, for `{"use": ...}`; resolved to Program::defines indexes.
  std::vector<std::string> define_names;

  bool xml() const { return program.input == Program::Input::xml; }
};

// Readers of the expression language (expression_loader.cpp). Each reports every problem to
// the sink, at the JSON pointer `at`, and returns what it could build.
Expr read_expr(LoadContext& cx, const nlohmann::json& j, const std::string& at);
Condition read_condition(LoadContext& cx, const nlohmann::json& j, const std::string& at);
std::vector<Transform> read_transforms(LoadContext& cx, const nlohmann::json& j,
                                       const std::string& at);
// "OBR", "ORC+OBR" or a list of those, nested (hl7 input).
std::vector<GroupLevel> read_for_each(LoadContext& cx, const nlohmann::json& j,
                                      const std::string& at);
// A regular expression (Perl syntax), or one that matches nothing with the error reported.
std::shared_ptr<const boost::regex> read_regex(LoadContext& cx, const nlohmann::json& j,
                                               const std::string& at);
// An XPath compiled by pugixml, or null with the error reported.
std::shared_ptr<const pugi::xpath_query> read_xpath(LoadContext& cx, const nlohmann::json& j,
                                                    const std::string& at);

}  // namespace hisbridge::mapping
