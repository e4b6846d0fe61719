# The debug information of every linked program and test is compressed (zlib), which gdb,
# addr2line and the sanitizers' symbolizer read as they are: a test build holds a hundred
# executables, each carrying the Beast and Asio debug information of what it links, and
# uncompressed the unit and ASan trees took 14 GB, more than a test machine's disk may have.
# Only the link step changes, so compiled objects (and ccache's copies) stay as they are.
include(CheckLinkerFlag)
check_linker_flag(CXX "-Wl,--compress-debug-sections=zlib" HISBRIDGE_LINKER_COMPRESSES_DEBUG)
if(HISBRIDGE_LINKER_COMPRESSES_DEBUG)
  add_link_options(-Wl,--compress-debug-sections=zlib)
endif()
