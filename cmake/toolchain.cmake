# Compiler launcher, linker and warning policy shared by every target.

find_program(TELEPAY_CCACHE ccache)
if(TELEPAY_CCACHE)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${TELEPAY_CCACHE}")
endif()

find_program(TELEPAY_MOLD mold)
if(TELEPAY_MOLD)
  add_link_options(-fuse-ld=mold)
endif()

# Warnings apply to our own targets through this interface library, so third-party
# headers (found under /usr/include, hence system headers) stay quiet.
add_library(telepay_warnings INTERFACE)
target_compile_options(telepay_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wdouble-promotion
  -Wformat=2 -Wimplicit-fallthrough -Wswitch)
# GCC 12 at -O2/-O3 reports std::string and Boost.Asio internals as -Wrestrict and
# -Wnull-dereference false positives (GCC PR105329, PR105651), so those two stay off.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(telepay_warnings INTERFACE -Wno-restrict)
endif()
if(TELEPAY_WERROR)
  target_compile_options(telepay_warnings INTERFACE -Werror)
endif()

if(TELEPAY_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# Fuzz builds (TELEPAY_FUZZ, tests/fuzz): every translation unit gets libFuzzer's coverage
# instrumentation and ASan+UBSan; UBSan findings abort so that libFuzzer records them as crashes.
# The fuzz executables add -fsanitize=fuzzer themselves (libFuzzer's main).
if(TELEPAY_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "TELEPAY_FUZZ needs clang (Debian 12: clang 14 with libclang-rt-14-dev): "
                        "cmake -S . -B build/fuzz -DCMAKE_CXX_COMPILER=clang++ -DTELEPAY_FUZZ=ON")
  endif()
  if(TELEPAY_SANITIZE)
    message(FATAL_ERROR "TELEPAY_FUZZ brings its own sanitizers: leave TELEPAY_SANITIZE off")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer -gline-tables-only)
  add_link_options(-fsanitize=address,undefined)
endif()

# Every folder library and executable links this to get the repo-root include path and warnings.
add_library(telepay_common INTERFACE)
target_include_directories(telepay_common INTERFACE ${PROJECT_SOURCE_DIR})
target_link_libraries(telepay_common INTERFACE telepay_warnings)
