#include "engine/timeline/marks.hpp"

#include <gtest/gtest.h>

namespace hisbridge::timeline {
namespace {

constexpr std::int64_t kT = 1772673300LL * 1'000'000;  // 2026-03-05T08:15:00+07:00

// An event's texts are views: these are literals, which outlive every test.
mapping::ClinicalEvent event(std::string_view kind, std::string_view time,
                             std::string_view order_no, std::string_view visit_id) {
  mapping::ClinicalEvent e;
  e.kind = kind;
  e.time = time;
  e.order_no = order_no;
  e.visit_id = visit_id;
  e.discipline = "LAB";
  e.patient_id = "P1";
  e.department = "KHOA_NOI";
  e.priority = "S";
  e.service_code = "GLU";
  e.modality = "";
  return e;
}

TEST(MarksTest, AnOrderEventWithAVisitMarksBoth) {
  const std::vector<mapping::ClinicalEvent> events = {
      event("collected", "2026-03-05T08:15:00+07:00", "ORD1", "V1")};
  std::vector<Mark> marks;
  std::size_t skipped = 0;
  append_marks(events, marks, skipped);
  ASSERT_EQ(marks.size(), 2u);
  EXPECT_EQ(skipped, 0u);
  EXPECT_EQ(marks[0].scope, Scope::order);
  EXPECT_EQ(marks[0].subject, "ORD1");
  EXPECT_EQ(marks[1].scope, Scope::visit);
  EXPECT_EQ(marks[1].subject, "V1");
  for (const Mark& m : marks) {
    EXPECT_EQ(m.kind, "collected");
    EXPECT_EQ(m.at_us, kT);
    EXPECT_EQ(m.info.discipline, "LAB");
    EXPECT_EQ(m.info.visit_id, "V1");
    EXPECT_EQ(m.info.patient_id, "P1");
    EXPECT_EQ(m.info.department, "KHOA_NOI");
    EXPECT_EQ(m.info.priority, "S");
    EXPECT_EQ(m.info.service_code, "GLU");
  }
}

TEST(MarksTest, OrderOnlyAndVisitOnly) {
  const std::vector<mapping::ClinicalEvent> events = {
      event("final", "2026-03-05T09:15+07:00", "ORD1", ""),
      event("registered", "2026-03-05T01:15:00.5Z", "", "V1")};
  std::vector<Mark> marks;
  std::size_t skipped = 0;
  append_marks(events, marks, skipped);
  ASSERT_EQ(marks.size(), 2u);
  EXPECT_EQ(marks[0].scope, Scope::order);
  EXPECT_EQ(marks[0].at_us, kT + 3600LL * 1'000'000);
  EXPECT_EQ(marks[1].scope, Scope::visit);
  EXPECT_EQ(marks[1].kind, "registered");
  EXPECT_EQ(marks[1].at_us, kT + 500'000);
}

TEST(MarksTest, UnreadableTimesAndSubjectlessEventsAreSkipped) {
  const std::vector<mapping::ClinicalEvent> events = {
      event("ordered", "", "ORD1", "V1"),
      event("ordered", "2026-03-05", "ORD1", "V1"),  // a date names no instant
      event("ordered", "20260305081500", "ORD1", ""),
      event("ordered", "2026-03-05T08:15+07:00", "", ""),
      event("", "2026-03-05T08:15+07:00", "ORD1", ""),
      event("ordered", "2026-03-05T08:15+07:00", "ORD2", "")};
  std::vector<Mark> marks = {message_mark(1, kAccepted, 5)};  // appended to, not replaced
  std::size_t skipped = 2;                                     // added to
  append_marks(events, marks, skipped);
  EXPECT_EQ(skipped, 7u);
  ASSERT_EQ(marks.size(), 2u);
  EXPECT_EQ(marks[1].subject, "ORD2");
}

TEST(MarksTest, MessageMarks) {
  const Mark m = message_mark(42, kDelivered, kT);
  EXPECT_EQ(m.scope, Scope::message);
  EXPECT_EQ(m.subject, "42");
  EXPECT_EQ(m.kind, "delivered");
  EXPECT_EQ(m.at_us, kT);
  EXPECT_EQ(m.info, SubjectInfo{});
}

}  // namespace
}  // namespace hisbridge::timeline
