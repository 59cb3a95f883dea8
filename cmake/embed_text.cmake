# cmake -DIN=file -DOUT=file.cpp -DFUNCTION=name -P embed_text.cmake
# Writes a C++ file defining `std::string_view poolgate::FUNCTION()` that returns
# IN's text verbatim, as a raw string literal. Used for config/reply-classes.toml
# (reputation/builtin_rules.h): the shipped defaults travel inside the binary.
file(READ ${IN} text)
set(delimiter "pgtext")
string(FIND "${text}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw-string delimiter )${delimiter}\"")
endif()
get_filename_component(name ${IN} NAME)
file(WRITE ${OUT}
  "// Generated from ${name} by cmake/embed_text.cmake; do not edit.\n"
  "#include <string_view>\n\n"
  "namespace poolgate {\n\n"
  "std::string_view ${FUNCTION}() {\n"
  "  static constexpr char text[] = R\"${delimiter}(${text})${delimiter}\";\n"
  "  return {text, sizeof(text) - 1};\n"
  "}\n\n"
  "}  // namespace poolgate\n")
