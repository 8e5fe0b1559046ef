# Installation: the btfar command, libbtfar (shared, SONAME libbtfar.so.0,
# and static), its public header, libbtfar.pc for pkg-config, a CMake
# package (find_package(btfar) -> btfar::btfar, the shared library), the
# man pages (when built: cmake/man.cmake) and the bash completion.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

target_include_directories(btfar_shared PUBLIC
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
set_target_properties(btfar_shared PROPERTIES EXPORT_NAME btfar)

install(TARGETS btfar RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS btfar_shared EXPORT btfarTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS btfar_static ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES include/btfar/btfar.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/btfar)

# pkg-config: the static link needs the libraries libbtfar uses
set(BTFAR_PC_REQUIRES_PRIVATE
  "libbpf libelf libzstd liblzma zlib libarchive liblz4 libsodium")
if(LZO2_FOUND)
  string(APPEND BTFAR_PC_REQUIRES_PRIVATE " lzo2")
  set(BTFAR_PC_LIBS_PRIVATE "-lbz2 -lpthread -ldl")
else()
  set(BTFAR_PC_LIBS_PRIVATE "-llzo2 -lbz2 -lpthread -ldl")
endif()
# relocatable: the prefix is found from where the .pc file is, so a tree
# installed with `cmake --install --prefix DIR` (or moved) is found too
file(RELATIVE_PATH BTFAR_PC_TO_PREFIX
  ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" BTFAR_PC_TO_PREFIX "${BTFAR_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/libbtfar.pc.in
  ${PROJECT_BINARY_DIR}/libbtfar.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/libbtfar.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# CMake package
set(BTFAR_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/btfar)
install(EXPORT btfarTargets NAMESPACE btfar::
  DESTINATION ${BTFAR_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/btfarConfig.cmake.in
  ${PROJECT_BINARY_DIR}/btfarConfig.cmake
  INSTALL_DESTINATION ${BTFAR_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/btfarConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/btfarConfig.cmake
  ${PROJECT_BINARY_DIR}/btfarConfigVersion.cmake
  DESTINATION ${BTFAR_CMAKE_DIR})

# man pages (share/man/man1) and bash completion (loaded on demand by
# bash-completion from share/bash-completion/completions/btfar)
if(BTFAR_MAN_BUILT)
  install(FILES ${BTFAR_MAN_FILES} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()
install(FILES completion/btfar.bash
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
  RENAME btfar)
