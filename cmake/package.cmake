# The Debian package (CPack DEB): `cmake --build build --target package`, or
# `cpack --config build/CPackConfig.cmake` once the binary is built (the `package` target builds
# every target first, tests included; cpack alone packages what is built).
#
# Gives build/hisbridge_<version>_<arch>.deb: what cmake/install.cmake installs under /usr,
# /etc/hisbridge and /lib/systemd/system, the binary stripped, the /etc files as conffiles, the
# maintainer scripts of packaging/debian/ (system user, folders, systemd), and the shared
# libraries the binary needs as dependencies (dpkg-shlibdeps).

set(HISBRIDGE_PACKAGE_MAINTAINER "hisbridge maintainers <hisbridge@localhost>" CACHE STRING
    "The Maintainer field of the Debian package")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME hisbridge)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR hisbridge)
set(CPACK_PACKAGE_CONTACT ${HISBRIDGE_PACKAGE_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "hospital integration engine: HL7 v2 from LIS/RIS into the HIS")
set(CPACK_PACKAGE_DESCRIPTION
    "hisbridge receives HL7 v2 messages from laboratory (LIS) and radiology (RIS) systems over\n\
MLLP, HTTP or a drop folder, stores each one durably before acknowledging it, maps it into\n\
records of the hospital information system (HIS) with mapping files IT staff edit, delivers\n\
them, and measures turnaround times. Runs as the systemd service hisbridge, as user hisbridge;\n\
config in /etc/hisbridge, data in /var/lib/hisbridge, logs in the journal.")

# Absolute destinations (/etc, /lib/systemd) land in the staging tree through DESTDIR; the
# relative ones under /usr.
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${HISBRIDGE_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The libraries come from dpkg-shlibdeps (libssl3, libsqlite3-0, libpq5, libspdlog1.10,
# libfmt9, libpugixml1v5, libstdc++6...); these are what the scripts and the engine use besides:
# adduser in postinst, the time zone database for HL7 times without an offset.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, tzdata")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "sqlite3, postgresql-client")

# conffiles: every file the package puts under /etc/hisbridge, so dpkg keeps local edits on
# upgrade and removal and asks before replacing an edited one. Listed from the source tree at
# configure time; a mapping added or removed re-runs the configure step.
file(GLOB_RECURSE hisbridge_conf_mappings CONFIGURE_DEPENDS
     RELATIVE ${PROJECT_SOURCE_DIR}/mappings ${PROJECT_SOURCE_DIR}/mappings/*)
list(SORT hisbridge_conf_mappings)
set(hisbridge_conffiles "${HISBRIDGE_SYSCONF_DIR}/hisbridge.json\n")
foreach(file IN LISTS hisbridge_conf_mappings)
  string(APPEND hisbridge_conffiles "${HISBRIDGE_SYSCONF_DIR}/mappings/${file}\n")
endforeach()
set(hisbridge_control_dir ${PROJECT_BINARY_DIR}/packaging/debian)
file(CONFIGURE OUTPUT ${hisbridge_control_dir}/conffiles CONTENT "${hisbridge_conffiles}")

# The maintainer scripts are read from the source tree when cpack runs; strict permissions
# give them mode 0755 (and the conffiles list 0644) whatever the checkout's modes.
set(hisbridge_scripts_dir ${PROJECT_SOURCE_DIR}/packaging/debian)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${hisbridge_control_dir}/conffiles
    ${hisbridge_scripts_dir}/postinst ${hisbridge_scripts_dir}/prerm ${hisbridge_scripts_dir}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

# `package_source` would otherwise pack the build trees and the cache along with the sources.
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/" "/var/" "/node_modules/")

include(CPack)
