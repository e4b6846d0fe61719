#pragma once

#include <string>
#include <string_view>

#include "engine/core/result.hpp"

namespace hisbridge::app {

// The service manager's readiness protocol (systemd's sd_notify(3), for units of Type=notify),
// without libsystemd: one datagram of newline-separated "KEY=VALUE" assignments to the unix
// socket whose address systemd puts in $NOTIFY_SOCKET.
//
// What `hisbridge serve` sends:
//   READY=1       once every listener and the admin server are bound (`systemctl start` returns)
//   STOPPING=1    when the engine stops
//   RELOADING=1, then READY=1 around a configuration reload (Type=notify-reload semantics)
//
// An address starting with '/' is a socket file; one starting with '@' is in Linux's abstract
// namespace (the '@' stands for the leading NUL byte). Any other form is an error.

// Sends `state` (for example "READY=1" or "STATUS=draining\nSTOPPING=1") to $NOTIFY_SOCKET.
// Returns false when the variable is unset or empty (not started by a service manager that
// listens: nothing to do), true when the datagram was sent, and an error saying what failed
// (a malformed address, a socket that does not exist or refuses) otherwise. Never throws; safe
// to call from any thread.
Result<bool, std::string> notify(std::string_view state);

// The same with the socket address given (what notify() reads from $NOTIFY_SOCKET); an empty
// address gives false.
Result<bool, std::string> notify_to(std::string_view socket_address, std::string_view state);

// notify(), with a failure logged as a warning, never fatal: the engine serves either way, and
// systemd reports the unit's start timing out.
void notify_service_manager(std::string_view state);

}  // namespace hisbridge::app
