# berth_layer(NAME SOURCES ... DEPS ...): one static library per layer; its link list
# is the set of layers it may use (see docs/ARCHITECTURE.md, "Layers").
function(berth_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    -Wnon-virtual-dtor -Wcast-align -Wunused -Woverloaded-virtual
    -Wformat=2 -Wimplicit-fallthrough)
  if(BERTH_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

function(berth_layer name)
  cmake_parse_arguments(L "" "" "SOURCES;DEPS" ${ARGN})
  add_library(berth_${name} STATIC ${L_SOURCES})
  target_include_directories(berth_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(berth_${name} PUBLIC ${L_DEPS})
  berth_warnings(berth_${name})
endfunction()
