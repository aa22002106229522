# Every dependency comes from a Debian 12 package; tools/bootstrap installs them.

find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(RocksDB CONFIG REQUIRED)
find_package(OpenSSL 3.0 REQUIRED)
find_package(simdjson CONFIG REQUIRED)
find_package(Boost 1.81 CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(tomlplusplus CONFIG REQUIRED)
find_package(absl CONFIG REQUIRED)
pkg_check_modules(SECP256K1 REQUIRED IMPORTED_TARGET libsecp256k1)
pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)

# The process allocator of the server and the benchmarks. jemalloc's per-thread caches make
# the actor system's cross-thread allocate/free cheap (glibc malloc cost 1.7x the transfers/s,
# docs/BENCHMARKS.md). Sanitizer builds keep the sanitizer's own allocator.
add_library(telepay_allocator INTERFACE)
if(NOT TELEPAY_SANITIZE)
  target_link_libraries(telepay_allocator INTERFACE PkgConfig::JEMALLOC)
endif()

# CAF 0.17.6 ships neither a CMake config nor a .pc file.
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(CAF_CORE_LIBRARY caf_core REQUIRED)
find_library(CAF_IO_LIBRARY caf_io REQUIRED)
add_library(caf::core SHARED IMPORTED)
set_target_properties(caf::core PROPERTIES
  IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES Threads::Threads)
add_library(caf::io SHARED IMPORTED)
set_target_properties(caf::io PROPERTIES
  IMPORTED_LOCATION "${CAF_IO_LIBRARY}"
  INTERFACE_LINK_LIBRARIES caf::core)

if(TELEPAY_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
  find_package(benchmark CONFIG REQUIRED)
  include(GoogleTest)
endif()
