#include "engine/mapping/define_segments.hpp"

#include <algorithm>

namespace hisbridge::mapping {
namespace {

class SegmentsOf {
 public:
  explicit SegmentsOf(const Program& program) : program_(program) {}

  // False when the value of `e` may depend on more than the segments found for its paths.
  bool expr(const Expr& e, std::vector<std::uint32_t>& keys) {
    switch (e.kind) {
      case Expr::Kind::hl7_path:
        // A path to the nth occurrence reads the same segment wherever it is evaluated.
        if (e.path.segment_occurrence <= 1 &&
            std::find(keys.begin(), keys.end(), e.segment_key) == keys.end()) {
          keys.push_back(e.segment_key);
        }
        break;
      case Expr::Kind::xpath:
      case Expr::Kind::collect:
      case Expr::Kind::column: return false;
      case Expr::Kind::use:
        if (depth_ > program_.defines.size()) {
          return false;  // a loop, refused at load; never taken as pure
        }
        ++depth_;
        if (!expr(program_.defines[e.define].value, keys)) {
          --depth_;
          return false;
        }
        --depth_;
        break;
      case Expr::Kind::constant:
      case Expr::Kind::coalesce:
      case Expr::Kind::concat:
      case Expr::Kind::when: break;
    }
    for (const Expr& part : e.parts) {
      if (!expr(part, keys)) {
        return false;
      }
    }
    return e.condition == nullptr || condition(*e.condition, keys);
  }

  bool condition(const Condition& c, std::vector<std::uint32_t>& keys) {
    if (c.kind == Condition::Kind::message_type) {
      return true;
    }
    if (!expr(c.value, keys)) {
      return false;
    }
    return std::all_of(c.children.begin(), c.children.end(),
                       [&](const Condition& child) { return condition(child, keys); });
  }

 private:
  const Program& program_;
  std::size_t depth_ = 0;
};

}  // namespace

void analyse_defines(Program& program) {
  if (program.input != Program::Input::hl7) {
    return;
  }
  for (Define& d : program.defines) {
    std::vector<std::uint32_t> keys;
    d.depends_on_segments_only = SegmentsOf(program).expr(d.value, keys);
    d.segments = d.depends_on_segments_only ? std::move(keys) : std::vector<std::uint32_t>{};
  }
}

}  // namespace hisbridge::mapping
