#pragma once

#include <nlohmann/json.hpp>

#include "engine/config/config.hpp"
#include "engine/mapping/mapping_watcher.hpp"
#include "engine/store/store.hpp"

namespace hisbridge::admin {

// What the channels of a stored message's source make of it now: each channel whose filter
// takes the message, with the version of its mapping that runs now (which may be newer than
// the one the message was processed with), chosen as the router chooses (an xml mapping reads
// vendor XML only, an hl7 mapping HL7 only):
//   [{"channel": "lis-results", "mapping": "lis-stock", "records": [...], "events": [...],
//     "warnings": [...]},
//    {"channel": ..., "mapping": ..., "error": "why the mapping failed"},
//    {"channel": ..., "mapping": null}]                      (a channel without a mapping)
// Pure: no I/O, no clock; the mappings are immutable, so any thread may call it.
nlohmann::ordered_json mapping_preview(const store::StoredMessage& stored,
                                       const config::Config& config,
                                       const mapping::MappingWatcher& mappings);

}  // namespace hisbridge::admin
