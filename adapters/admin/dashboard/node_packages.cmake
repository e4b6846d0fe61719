# Makes sure the dashboard's npm packages (package-lock.json) are installed in
# adapters/admin/dashboard/node_modules before the build embeds the charting library from there.
# scripts/lib/build.sh installs them before configuring; this covers a plain `cmake` run: it runs
# `npm ci` itself when node_modules is missing or older than package-lock.json, and stops with
# what to do when npm is not there or fails.

set(dashboard_lock ${CMAKE_CURRENT_LIST_DIR}/package-lock.json)
# npm writes its own copy of the lock file into node_modules on every install.
set(dashboard_installed ${CMAKE_CURRENT_LIST_DIR}/node_modules/.package-lock.json)
set(dashboard_fix "run `npm ci --no-audit --no-fund` in ${CMAKE_CURRENT_LIST_DIR} (Debian \
packages nodejs and npm; scripts/run and scripts/test do it)")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${dashboard_lock})

if(NOT EXISTS ${dashboard_installed} OR ${dashboard_lock} IS_NEWER_THAN ${dashboard_installed})
  find_program(HISBRIDGE_NPM npm)
  if(NOT HISBRIDGE_NPM)
    message(FATAL_ERROR "The dashboard's npm packages are not installed and npm was not found: "
                        "${dashboard_fix}")
  endif()
  message(STATUS "Dashboard: npm ci in ${CMAKE_CURRENT_LIST_DIR}")
  execute_process(COMMAND ${HISBRIDGE_NPM} ci --no-audit --no-fund
                  WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR}
                  RESULT_VARIABLE dashboard_npm_result)
  if(NOT dashboard_npm_result EQUAL 0)
    message(FATAL_ERROR "npm ci for the dashboard failed (${dashboard_npm_result}): "
                        "${dashboard_fix}")
  endif()
endif()

# The charting library the page loads, embedded beside the page's own files.
set(HISBRIDGE_UPLOT_DIST ${CMAKE_CURRENT_LIST_DIR}/node_modules/uplot/dist)
foreach(dist_file uPlot.iife.min.js uPlot.min.css)
  if(NOT EXISTS ${HISBRIDGE_UPLOT_DIST}/${dist_file})
    message(FATAL_ERROR "${HISBRIDGE_UPLOT_DIST}/${dist_file} is missing: ${dashboard_fix}")
  endif()
endforeach()
