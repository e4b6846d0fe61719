#include "engine/store/query_sql.hpp"

#include <limits>

#include "engine/store/text.hpp"

namespace hisbridge::store {
namespace {

class Builder {
 public:
  Builder(std::string_view columns, char placeholder) : placeholder_(placeholder) {
    out_.sql.reserve(512);
    out_.sql.append("SELECT ").append(columns).append(" FROM hisbridge_messages");
  }

  // Appends " AND " (or " WHERE ") and `before`, a placeholder, then `after`.
  void where(std::string_view before, SqlParam param, std::string_view after = {}) {
    out_.sql.append(first_ ? " WHERE " : " AND ").append(before);
    first_ = false;
    add_param(std::move(param));
    out_.sql.append(after);
  }

  void add_param(SqlParam param) {
    out_.params.push_back(std::move(param));
    out_.sql.push_back(placeholder_);
    out_.sql.append(std::to_string(out_.params.size()));
  }

  void append(std::string_view text) { out_.sql.append(text); }

  QuerySql take() { return std::move(out_); }

 private:
  QuerySql out_;
  char placeholder_;
  bool first_ = true;
};

SqlParam integer(std::int64_t v) { return SqlParam{false, v, {}}; }
// Cleaned as stored values are (text.hpp), so a query finds what it was stored as.
SqlParam text(std::string_view v) {
  std::string scratch;
  return SqlParam{true, 0, std::string(clean_text(v, scratch))};
}

// Characters, as substr() counts them in both databases.
std::int64_t code_points(std::string_view s) {
  std::int64_t n = 0;
  for (const char c : s) {
    n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  }
  return n;
}

void add_type(Builder& b, const std::string& type) {
  if (type.find('^') != std::string::npos) {
    b.where("message_type = ", text(type));
    return;
  }
  // "ORU" matches "ORU" itself and every "ORU^...".
  const std::string prefix = type + "^";
  b.where("(message_type = ", text(type), " OR substr(message_type, 1, ");
  b.add_param(integer(code_points(prefix)));
  b.append(") = ");
  b.add_param(text(prefix));
  b.append(")");
}

}  // namespace

std::int64_t sql_limit(std::size_t limit) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(limit < kMax ? limit : kMax);
}

QuerySql find_sql(const MessageQuery& q, std::string_view columns, char placeholder) {
  Builder b(columns, placeholder);
  if (q.from_us) {
    b.where("received_at_us >= ", integer(*q.from_us));
  }
  if (q.to_us) {
    b.where("received_at_us < ", integer(*q.to_us));
  }
  if (q.message_type) {
    add_type(b, *q.message_type);
  }
  if (q.control_id) {
    b.where("control_id = ", text(*q.control_id));
  }
  if (q.patient_id) {
    b.where("patient_id = ", text(*q.patient_id));
  }
  if (q.status) {
    b.where("status = ", text(to_string(*q.status)));
  }
  if (q.source) {
    b.where("source = ", text(*q.source));
  }
  if (q.before_id) {
    b.where("id < ", integer(*q.before_id));
  }
  b.append(" ORDER BY id DESC LIMIT ");
  b.add_param(integer(sql_limit(q.limit)));
  return b.take();
}

}  // namespace hisbridge::store
