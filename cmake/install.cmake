# What `cmake --install` puts where, and the Debian package made from it (cmake/package.cmake).
#
#   ${bindir}/hisbridge                      the binary (/usr/bin/hisbridge in the package)
#   ${datadir}/hisbridge/mappings/           the stock mappings and lookup tables, read-only
#   ${datadir}/hisbridge/config/             the default config and the examples, read-only
#   ${docdir}/                               README and the guides
#   /etc/hisbridge/hisbridge.json            the service's config (packaging/hisbridge.json)
#   /etc/hisbridge/mappings/                 the mappings IT staff edit (copies of the stock ones)
#   /lib/systemd/system/hisbridge.service    the systemd unit (packaging/hisbridge.service)
#
# The /etc and unit files are the `service` component and go to absolute paths, as a Debian
# package needs them: installing them by hand writes to the system (as root), or under
# DESTDIR=... for a staging tree. `cmake --install build --component runtime` installs the
# binary and the reference copies only. Tests, benchmarks and fuzz targets are never installed.
include(GNUInstallDirs)

set(HISBRIDGE_SYSCONF_DIR /etc/hisbridge CACHE PATH
    "Where the service component installs the config and the editable mappings")
set(HISBRIDGE_SYSTEMD_UNIT_DIR /lib/systemd/system CACHE PATH
    "Where the service component installs hisbridge.service (Debian 12: /lib/systemd/system)")

install(TARGETS hisbridge RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)

# Reference copies: what the package shipped, to compare an edited mapping against or to
# start over from.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/mappings/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/hisbridge/mappings COMPONENT runtime)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/config/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/hisbridge/config COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/README.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/
        DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime FILES_MATCHING PATTERN "*.md")

# The service: config and editable mappings (Debian conffiles: an upgrade keeps local edits)
# and the unit.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/hisbridge.json
        DESTINATION ${HISBRIDGE_SYSCONF_DIR} COMPONENT service)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/mappings/
        DESTINATION ${HISBRIDGE_SYSCONF_DIR}/mappings COMPONENT service)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/hisbridge.service
        DESTINATION ${HISBRIDGE_SYSTEMD_UNIT_DIR} COMPONENT service)

include(${CMAKE_CURRENT_LIST_DIR}/package.cmake)
