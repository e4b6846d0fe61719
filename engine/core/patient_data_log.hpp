#pragma once

#include <string>
#include <string_view>

namespace hisbridge {

// Whether log lines may quote text from messages (names, ids, values): `log.show_patient_data`,
// off by default. The engine logs message ids, control ids, kinds of error and positions; the
// text around an error (a parse error's detail, a mapping failure that quotes the value it
// could not read) only while this is on, for debugging a link, and says so loudly at start
// and at every reload that turns it on. Thread-safe; set by the app at start and on reload.
void set_show_patient_data(bool on);
bool show_patient_data();

// `text` when show_patient_data() is on; otherwise `hidden` (a hint of where to look).
std::string patient_text(std::string_view text, std::string_view hidden);

}  // namespace hisbridge
