# Debug information as line tables only, compressed: a test build of the project with full -g
# takes several gigabytes (a hundred test executables, each carrying the Beast and Asio debug
# information of what it links), and a test machine's disk is not always that large. Stack
# traces, sanitizer reports and gdb backtraces keep their file and line; what goes is the
# description of variables and types. scripts/test turns it on; a developer's own build keeps
# the full -g of RelWithDebInfo.
option(HISBRIDGE_COMPACT_DEBUG_INFO "Debug information as compressed line tables (-g1 -gz)" OFF)
if(HISBRIDGE_COMPACT_DEBUG_INFO)
  # The compile options come after CMAKE_CXX_FLAGS_RELWITHDEBINFO's -g, and the last -g level
  # given wins.
  add_compile_options(-g1 -gz)
  add_link_options(-gz)
endif()
