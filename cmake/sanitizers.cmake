if(HISBRIDGE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

# Fuzz builds instrument the library code too, so libFuzzer's coverage reaches the parser it
# fuzzes and not only the target's own file.
if(HISBRIDGE_LIBFUZZER)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
