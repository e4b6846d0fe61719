#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hisbridge::metrics {

// Label names and values of one series, in the order they are written.
using Labels = std::vector<std::pair<std::string, std::string>>;

// Pieces of the Prometheus text exposition format, version 0.0.4
// (prometheus.io/docs/instrumenting/exposition_formats).

// The Content-Type a scrape is answered with.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// The house rule on top of the format's `[a-zA-Z_:][a-zA-Z0-9_:]*`: `hisbridge_` and then
// lower-case letters, digits and `_` (no `:`, which is for recording rules).
bool valid_metric_name(std::string_view name);
// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved for Prometheus itself).
bool valid_label_name(std::string_view name);

// A label value between its double quotes: backslash, double quote and line feed escaped as
// `\\`, `\"` and `\n`; bytes that are not UTF-8 (which the format requires) as U+FFFD.
void append_label_value(std::string& out, std::string_view value);
// HELP text: backslash and line feed escaped.
void append_help(std::string& out, std::string_view help);
// A sample value: the shortest text that reads back as the same double; `+Inf`, `-Inf`, `NaN`.
void append_value(std::string& out, double value);
// `name{a="x",b="y"} value\n`; `extra` (such as `le`) goes after `labels`; no braces when there
// is no label at all.
void append_sample(std::string& out, std::string_view name, const Labels& labels, double value,
                   const std::pair<std::string_view, std::string_view>* extra = nullptr);

}  // namespace hisbridge::metrics
