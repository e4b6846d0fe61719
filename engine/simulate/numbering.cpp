#include "engine/simulate/numbering.hpp"

#include <cstdio>

namespace hisbridge::simulate {
namespace {

// SplitMix64's finaliser: neighbouring seeds give unrelated tags.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::string tag_of(std::uint64_t seed) {
  // Letters only, so that the tag never runs into the digits around it.
  constexpr std::string_view kLetters = "ABCDEFGHJKLMNPQRSTUVWXYZ";
  std::uint64_t bits = mix(seed);
  std::string tag;
  for (int i = 0; i < 3; ++i) {
    tag += kLetters[bits % kLetters.size()];
    bits /= kLetters.size();
  }
  return tag;
}

std::string padded(std::uint64_t n, int width) {
  char text[32];
  std::snprintf(text, sizeof text, "%0*llu", width, static_cast<unsigned long long>(n));
  return text;
}

}  // namespace

Numbering::Numbering(std::uint64_t seed, UtcOffset offset) : tag_(tag_of(seed)), offset_(offset) {}

std::string Numbering::number(std::string_view prefix, SimTime t, std::string_view separator,
                              std::uint64_t& counter, int width) {
  std::string out(prefix);
  out += yymmdd(t, offset_);
  out += separator;
  out += tag_;
  out += padded(++counter, width);
  return out;
}

std::string Numbering::patient_id(const Hospital& h, SimTime t) {
  // The hospital's prefix, the year of the first visit, the tag and a serial: SL26KQT00123.
  return h.short_code + yymmdd(t, offset_).substr(0, 2) + tag_ + padded(++counters_.patient, 5);
}

std::string Numbering::visit_no(char visit_class, SimTime t) {
  const std::string_view prefix = visit_class == 'I' ? "NT" : visit_class == 'E' ? "CC" : "KB";
  return number(prefix, t, "", counters_.visit, 4);
}

std::string Numbering::lab_order_no(SimTime t) { return number("XN", t, "-", counters_.lab, 4); }

std::string Numbering::lab_filler_no(SimTime t) {
  std::uint64_t same = counters_.lab - 1;  // the LIS numbers the order it was sent
  return number("L", t, "-", same, 4);
}

std::string Numbering::specimen_id(SimTime t) {
  std::uint64_t same = counters_.lab - 1;
  return number("S", t, "-", same, 4);
}

std::string Numbering::rad_order_no(SimTime t) { return number("CDHA", t, "-", counters_.rad, 4); }

std::string Numbering::rad_filler_no(SimTime t) {
  std::uint64_t same = counters_.rad - 1;
  return number("RIS", t, "-", same, 4);
}

std::string Numbering::accession_no(std::string_view modality, SimTime t) {
  std::uint64_t same = counters_.rad - 1;
  return number(modality, t, "", same, 4);
}

std::string Numbering::control_id(const Hospital& h, std::string_view app, SimTime t) {
  // The system's initial and the hospital's code keep ids unique across a multi-hospital run
  // and within MSH-10's 20 characters: LSL260305KQT000042.
  const std::string prefix = std::string(app.substr(0, 1)) + h.short_code;
  return number(prefix, t, "", counters_.message, 6);
}

}  // namespace hisbridge::simulate
