# Shared helpers for the ntpauth build.

# ntpauth_target_warnings(TARGET): the project's warning set, per target (code from outside the
# project, such as Wireshark's headers, keeps its own).
function(ntpauth_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wformat=2 -Wno-unused-parameter)
endfunction()

# ntpauth_add_unit_test(NAME SOURCES... [LIBS libs...])
# A GLib gtest program run by ctest.
function(ntpauth_add_unit_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES} ${T_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PRIVATE ntpauth PkgConfig::GLIB ${T_LIBS})
  ntpauth_target_warnings(${name})
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS unit
    ENVIRONMENT "NTPAUTH_TEST_DATA=${PROJECT_SOURCE_DIR}/tests/data;NTPAUTH_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

# ntpauth_add_fuzz(NAME SOURCES... [LIBS libs...])
# A fuzz target defines LLVMFuzzerTestOneInput(). It always builds as a replay program run by
# ctest over tests/fuzz/corpus/NAME/ (seed corpus, committed); with NTPAUTH_FUZZ=ON and clang it
# also builds as NAME-libfuzzer.
function(ntpauth_add_fuzz name)
  cmake_parse_arguments(F "" "" "SOURCES;LIBS" ${ARGN})
  set(srcs ${F_SOURCES} ${F_UNPARSED_ARGUMENTS})
  add_executable(${name}-replay ${srcs} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.c)
  target_link_libraries(${name}-replay PRIVATE ntpauth ${F_LIBS})
  ntpauth_target_warnings(${name}-replay)
  add_test(NAME fuzz-replay-${name}
           COMMAND ${name}-replay ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
  set_tests_properties(fuzz-replay-${name} PROPERTIES LABELS fuzz)
  if(NTPAUTH_FUZZ AND CMAKE_C_COMPILER_ID MATCHES "Clang")
    add_executable(${name}-libfuzzer ${srcs})
    target_compile_options(${name}-libfuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${name}-libfuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(${name}-libfuzzer PRIVATE ntpauth ${F_LIBS})
  endif()
endfunction()

# ntpauth_fuzz_include(NAME DIRS...): private include folders for both builds of a fuzz target.
function(ntpauth_fuzz_include name)
  foreach(v replay libfuzzer)
    if(TARGET ${name}-${v})
      target_include_directories(${name}-${v} PRIVATE ${ARGN})
    endif()
  endforeach()
endfunction()

# ntpauth_install_program(TARGET [SBIN]): install a program (bin/, or sbin/ for daemons) and
# record it in the global property NTPAUTH_PROGRAMS. The packaging and man-page tests walk that
# list: every installed program needs a page in docs/man/ and must answer --help and --version.
function(ntpauth_install_program target)
  cmake_parse_arguments(P "SBIN" "" "" ${ARGN})
  if(P_SBIN)
    install(TARGETS ${target} RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
  else()
    install(TARGETS ${target} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
  set_property(GLOBAL APPEND PROPERTY NTPAUTH_PROGRAMS ${target})
endfunction()
