# vc_add_backend_target: fuzz a backend as it is, from any folder.
#
#   include(<vconform>/fuzz/backend_target.cmake)   # after vconform's own targets
#   vc_add_backend_target(NAME
#       SOURCES  the backend's own sources (built with FLAGS only: no -Werror,
#                no vconform warnings; their code, their flags)
#       GLUE     the adapter and target sources (fuzz/adapter.h, fuzz/target.h)
#       [FLAGS ...] [INCLUDES ...] [DEFINES ...]
#       [CORPUS dir...]   inputs ctest replays (default corpus/chain)
#       [GMEM])           the backend reaches memory through vc_gmem itself:
#                         no pointer instrumentation
#
# A pointer-style backend (no GMEM) is compiled with clang's
# -fsanitize-coverage=trace-loads,trace-stores and fuzz/ptr/ptr_shim.h, so
# every load, store and memcpy/memmove/memset it makes reaches the harness's
# observer (fuzz/ptr/ptr_watch.h: the GLUE calls vc_ptr_watch around each call
# into the backend). That needs clang: under gcc such a target is not built
# (said once at configure time). Gives fuzz-NAME (-DVC_FUZZ=ON) or replay-NAME
# and a ctest replaying CORPUS (same instrumentation, so replays see what the
# fuzzer saw).
set(VC_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})

if(NOT TARGET vc_ptr_watch)
  add_library(vc_ptr_watch STATIC ${VC_FUZZ_DIR}/ptr/ptr_watch.c)
  target_include_directories(vc_ptr_watch PUBLIC ${VC_FUZZ_DIR}/ptr)
  target_link_libraries(vc_ptr_watch PUBLIC vc)
  if(VC_FUZZ)
    # harness code: no coverage of its own
    target_compile_options(vc_ptr_watch PRIVATE -fno-sanitize=fuzzer-no-link)
  endif()
endif()

function(vc_add_backend_target name)
  cmake_parse_arguments(A "GMEM" "" "SOURCES;GLUE;FLAGS;INCLUDES;DEFINES;CORPUS" ${ARGN})
  if(NOT A_GMEM AND NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(STATUS "vconform: ${name} reaches guest memory through pointers; its fuzz and replay "
                   "targets need clang (-fsanitize-coverage=trace-loads,trace-stores): not built")
    return()
  endif()
  set(obj ${name}_backend)
  add_library(${obj} OBJECT ${A_SOURCES})
  target_include_directories(${obj} PRIVATE ${A_INCLUDES} ${VC_FUZZ_DIR}/ptr)
  target_compile_definitions(${obj} PRIVATE ${A_DEFINES})
  target_link_libraries(${obj} PRIVATE vc)
  target_compile_options(${obj} PRIVATE ${A_FLAGS})
  if(NOT A_GMEM)
    # trace-loads needs a coverage level: the fuzz build's comes with
    # -fsanitize=fuzzer-no-link, a replay build asks for edges
    set(level "")
    if(NOT VC_FUZZ)
      set(level "edge,")
    endif()
    target_compile_options(${obj} PRIVATE -fsanitize-coverage=${level}trace-loads,trace-stores
                           -include ${VC_FUZZ_DIR}/ptr/ptr_shim.h)
  endif()
  if(VC_FUZZ)
    set(exe fuzz-${name})
    add_executable(${exe} ${A_GLUE} ${VC_FUZZ_DIR}/driver_libfuzzer.c ${VC_FUZZ_DIR}/mutator_libfuzzer.c
                   $<TARGET_OBJECTS:${obj}>)
    target_link_options(${exe} PRIVATE ${VC_FUZZ_ENGINE_FLAGS})
  else()
    set(exe replay-${name})
    add_executable(${exe} ${A_GLUE} ${VC_FUZZ_DIR}/driver_replay.c $<TARGET_OBJECTS:${obj}>)
    if(NOT A_CORPUS)
      set(A_CORPUS ${CMAKE_SOURCE_DIR}/corpus/chain ${CMAKE_SOURCE_DIR}/corpus/regressions/chain)
    endif()
    add_test(NAME fuzz_replay_${name} COMMAND ${exe} ${A_CORPUS})
  endif()
  target_include_directories(${exe} PRIVATE ${A_INCLUDES} ${VC_FUZZ_DIR} ${VC_FUZZ_DIR}/ptr)
  target_compile_definitions(${exe} PRIVATE ${A_DEFINES})
  target_compile_options(${exe} PRIVATE ${A_FLAGS})
  target_link_libraries(${exe} PRIVATE vcfuzz vc_ptr_watch)
endfunction()
