// The commands made from the key catalog (scenario/catalog.hpp), so that
// they cannot drift from what the parser accepts (issue 21):
//  - `faultline list`: every section and key the parser accepts, with type,
//    default and meaning, the fault kinds from their descriptors;
//  - `faultline schema`: a JSON Schema (draft 2020-12) of the scenario
//    format, for editors (taplo, Even Better TOML) and CI; shipped as
//    scenarios/faultline.schema.json, which a test keeps equal to it.
// A fault kind added by its own file appears in both without an edit here.
#pragma once

#include <string>

namespace faultline {

/// What `faultline list` prints.
std::string render_key_list();

/// What `faultline schema` prints: the JSON Schema, pretty-printed, newline-terminated.
std::string render_schema();

}  // namespace faultline
