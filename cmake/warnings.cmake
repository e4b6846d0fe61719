# Warnings on for the project's own code; third-party headers come in as system includes.
# -Wno-restrict: g++ 12 reports `"literal" + std::string&&` at -O3 as overlapping memcpy
# (GCC bug 105329), a false positive all over ordinary string code.
function(hisbridge_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wold-style-cast -Wcast-align
    -Woverloaded-virtual -Wconversion -Wsign-conversion
    -Wimplicit-fallthrough -Wformat=2 $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)
endfunction()
