# Man pages: man/*.1.scd, written in scdoc, become roff at build time
# (build/man/*.1) when scdoc is found (Debian: scdoc, in the build group of
# scripts/deps.sh). BTFAR_MAN: AUTO builds them when scdoc is there, ON
# requires it (the Debian package), OFF skips them. The archive commands
# share one page, btfar-archive(1); btfar-pack(1) and the others are .so
# links to it. tests/repo/help_matches_man.sh checks that every option a
# command's --help lists is in its page and the other way round.
set(BTFAR_MAN AUTO CACHE STRING "Build the man pages with scdoc (AUTO, ON, OFF)")
set_property(CACHE BTFAR_MAN PROPERTY STRINGS AUTO ON OFF)

set(BTFAR_MAN_PAGES btfar btfar-build btfar-merge btfar-verify btfar-check
  btfar-rebase btfar-distill btfar-archive btfar-min-core btfar-keygen
  btfar-sign)
# commands documented in btfar-archive(1)
set(BTFAR_MAN_ALIASES btfar-pack btfar-add btfar-list btfar-get
  btfar-export-btfhub)
set(BTFAR_MAN_BUILT OFF)

if(NOT BTFAR_MAN STREQUAL "OFF")
  if(NOT SCDOC_PROGRAM)
    if(BTFAR_MAN STREQUAL "ON")
      message(FATAL_ERROR "BTFAR_MAN=ON but scdoc not found (Debian: scdoc)")
    endif()
    message(STATUS "scdoc not found: no man pages (Debian: scdoc)")
  else()
    set(BTFAR_MAN_BUILT ON)
    set(man_out)
    foreach(page ${BTFAR_MAN_PAGES})
      set(src ${PROJECT_SOURCE_DIR}/man/${page}.1.scd)
      set(dst ${PROJECT_BINARY_DIR}/man/${page}.1)
      add_custom_command(OUTPUT ${dst}
        COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
        COMMAND sh -c "\"$0\" < \"$1\" > \"$2.tmp\" && mv \"$2.tmp\" \"$2\""
          ${SCDOC_PROGRAM} ${src} ${dst}
        DEPENDS ${src} VERBATIM
        COMMENT "scdoc ${page}.1")
      list(APPEND man_out ${dst})
    endforeach()
    foreach(page ${BTFAR_MAN_ALIASES})
      file(WRITE ${PROJECT_BINARY_DIR}/man/${page}.1 ".so man1/btfar-archive.1\n")
      list(APPEND man_out ${PROJECT_BINARY_DIR}/man/${page}.1)
    endforeach()
    add_custom_target(man ALL DEPENDS ${man_out})
    set(BTFAR_MAN_FILES ${man_out})
  endif()
endif()
