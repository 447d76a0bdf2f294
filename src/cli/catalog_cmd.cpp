// `list` and `schema` (catalog_cmd.hpp). The schema maps each catalog type
// to JSON Schema: the types the TOML value may have once read as JSON
// (python's tomllib, taplo). Units, ranges and cross-references stay
// `validate`'s (a schema that tried would drift from it); what the schema
// adds is the editor catching an unknown key, a wrong type or an unknown
// kind as it is typed. A type the mapping does not know accepts any value,
// so a new type in a kind's descriptor never makes the schema wrong.
#include "cli/catalog_cmd.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <map>
#include <set>
#include <vector>

#include "scenario/catalog.hpp"
#include "scenario/select_keys.hpp"

namespace faultline {

namespace {

namespace json = boost::json;

// ---------------------------------------------------------------- list

void print_keys(std::string& out, const std::vector<KeySpec>& keys, const char* indent) {
  for (const auto& k : keys)
    out += fmt::format("{}{:<20} {:<10} {:<12} {}\n", indent, k.key, k.type,
                       k.required ? "required" : (k.default_value.empty() ? "-" : k.default_value), k.description);
}

template <class Suffix>
void print_kinds(std::string& out, const std::vector<KindSpec>& kinds, Suffix suffix) {
  for (const auto& k : kinds) {
    out += fmt::format("\n  {}  {}{}\n", k.name, k.summary, suffix(k));
    print_keys(out, k.keys, "    ");
  }
}

void section(std::string& out, const std::string& title, const std::vector<KeySpec>& keys) {
  out += fmt::format("\n{}\n", title);
  print_keys(out, keys, "    ");
}

// ---------------------------------------------------------------- schema

json::object type_schema(const std::string& type) {
  const json::object str{{"type", "string"}};
  const json::object strings{{"type", "array"}, {"items", str}};
  static const std::map<std::string, json::value> by_type = {
      {"string", str},
      {"duration", str},
      {"regex", str},
      {"percent", str},
      {"rate", str},
      {"address", str},
      {"integer", json::object{{"type", "integer"}}},
      {"bool", json::object{{"type", "boolean"}}},
      {"probability", json::object{{"type", "number"}, {"minimum", 0}, {"maximum", 1}}},
      {"command", json::object{{"anyOf", json::array{str, json::object{{"type", "array"}, {"items", str}, {"minItems", 1}}}}}},
      {"table of strings", json::object{{"type", "object"}, {"additionalProperties", str}}},
      {"array of strings", strings},
      {"array of integers", json::object{{"type", "array"}, {"items", json::object{{"type", "integer"}}}}},
      {"array of arrays of strings", json::object{{"type", "array"}, {"items", strings}}},
      {"signal", json::object{{"type", json::array{"string", "integer"}}}},
      {"port", json::object{{"type", json::array{"string", "integer"}}}},
      {"count or duration", json::object{{"type", json::array{"string", "integer"}}}},
      {"duration or window", json::object{{"anyOf", json::array{str, json::object{{"type", "array"}, {"items", str},
                                                                                     {"minItems", 2}, {"maxItems", 2}}}}}},
      {"samples, duration or table",
       json::object{{"anyOf", json::array{json::object{{"type", "integer"}}, str,
                                          json::object{{"type", "object"},
                                                       {"properties", json::object{{"samples", json::object{{"type", "integer"}}},
                                                                                   {"duration", str}}},
                                                       {"additionalProperties", false}}}}}},
      {"attach", json::object{{"type", "object"},
                              {"properties", json::object{{"systemd", str}, {"pidfile", str}, {"match", str}}},
                              {"additionalProperties", false}}},
      {"probe", json::object{{"$ref", "#/$defs/readiness"}}},
  };
  if (auto it = by_type.find(type); it != by_type.end()) return it->second.as_object();
  return {};  // anything: a type this mapping does not know
}

/// A key's schema: its type's, with its description (and default).
json::object key_schema(const KeySpec& k) {
  json::object out = type_schema(k.type);
  out["description"] = k.default_value.empty() ? k.description : fmt::format("{} (default {})", k.description, k.default_value);
  return out;
}

/// Keys that also take a table: a dynamic target (`{ select = ..., among = [...] }`).
bool takes_selection(const std::string& key) { return key == "target" || key == "isolate"; }

void add_keys(json::object& props, const std::vector<KeySpec>& keys) {
  for (const auto& k : keys) {
    if (props.contains(k.key)) continue;
    json::object s = key_schema(k);
    if (takes_selection(k.key))
      s = json::object{{"anyOf", json::array{s, json::object{{"$ref", "#/$defs/select"}}}}, {"description", s["description"]}};
    props[k.key] = std::move(s);
  }
}

json::array names_of(const std::vector<KeySpec>& keys) {
  json::array out;
  for (const auto& k : keys) out.push_back(json::value(k.key));
  return out;
}

json::object table(const std::vector<KeySpec>& keys, const std::set<std::string>& skip = {}) {
  json::object props;
  json::array required;
  for (const auto& k : keys) {
    if (skip.count(k.key)) continue;
    add_keys(props, {k});
    if (k.required) required.push_back(json::value(k.key));
  }
  json::object out{{"type", "object"}, {"properties", std::move(props)}, {"additionalProperties", false}};
  if (!required.empty()) out["required"] = std::move(required);
  return out;
}

/// A table with a 'kind': the common keys and every kind's, and for each
/// kind only its own keys beside the common ones (if/then on 'kind').
json::object kinded(const std::vector<KeySpec>& common, const std::vector<KindSpec>& kinds,
                    const std::set<std::string>& skip = {}) {
  json::object out = table(common, skip);
  json::object& props = out["properties"].as_object();
  // A key two kinds give different types (net.slicer's `size` is a number
  // of bytes, disk.full's a size with a unit) is typed in each kind's `then`.
  std::map<std::string, json::object> first_type;
  std::set<std::string> mixed;
  for (const auto& k : kinds)
    for (const auto& key : k.keys) {
      const json::object t = type_schema(key.type);
      if (auto [it, fresh] = first_type.emplace(key.key, t); !fresh && it->second != t) mixed.insert(key.key);
    }
  json::array kind_names;
  json::array by_kind;
  for (const auto& k : kinds) {
    kind_names.push_back(json::value(k.name));
    add_keys(props, k.keys);
    json::array allowed;
    for (const auto& c : common)
      if (!skip.count(c.key)) allowed.push_back(json::value(c.key));
    for (const auto& v : names_of(k.keys)) allowed.push_back(v);
    json::object then{{"propertyNames", json::object{{"enum", std::move(allowed)}}}};
    json::object own;
    for (const auto& key : k.keys)
      if (mixed.count(key.key)) own[key.key] = key_schema(key);
    if (!own.empty()) then["properties"] = std::move(own);
    by_kind.push_back(json::object{{"if", json::object{{"properties", json::object{{"kind", json::object{{"const", k.name}}}}},
                                                       {"required", json::array{"kind"}}}},
                                   {"then", std::move(then)}});
  }
  for (const auto& key : mixed)
    props[key] = json::object{{"description", "its type depends on the kind (see each kind's keys)"}};
  props["kind"].as_object()["enum"] = std::move(kind_names);
  out["allOf"] = std::move(by_kind);
  return out;
}

json::object array_of(json::object item) { return json::object{{"type", "array"}, {"items", std::move(item)}}; }

json::object ref(const char* name) { return json::object{{"$ref", fmt::format("#/$defs/{}", name)}}; }

json::object schema_document() {
  json::object defs;
  defs["select"] = table(target_select_keys());
  defs["service"] = table(service_keys());
  defs["host"] = table(host_keys());
  defs["link"] = table(link_keys());
  defs["probe"] = kinded(probe_common_keys(), probe_kinds());
  defs["readiness"] = kinded(probe_common_keys(), probe_kinds(), {"name", "steady_state"});
  defs["guard"] = kinded(probe_common_keys(), probe_kinds(), {"steady_state"});
  defs["fault"] = kinded(fault_common_keys(), fault_kinds());
  defs["step"] = table(step_keys());
  defs["verify"] = table(verify_keys());
  defs["recovery"] = table(recovery_keys());
  defs["workload"] = kinded(workload_common_keys(), workload_kinds());
  defs["thresholds"] = table(threshold_keys());
  json::object strategy = table(strategy_keys());
  auto& sp = strategy["properties"].as_object();
  sp["recovery"] = array_of(ref("recovery"));
  sp["verify"] = array_of(ref("verify"));
  sp["thresholds"] = ref("thresholds");
  defs["strategy"] = std::move(strategy);

  json::object root = table(top_level_keys());
  auto& props = root["properties"].as_object();
  // The sections, each by its own definition (the catalog says "array of tables" / "table").
  static const std::map<std::string, const char*> sections = {
      {"service", "service"}, {"host", "host"},   {"link", "link"},         {"probe", "probe"},
      {"guard", "guard"},     {"fault", "fault"}, {"setup", "step"},        {"verify", "verify"},
      {"recovery", "recovery"}, {"workload", "workload"}, {"strategy", "strategy"}};
  for (const auto& [key, def] : sections)
    if (props.contains(key)) props[key] = array_of(ref(def));
  if (props.contains("thresholds")) props["thresholds"] = ref("thresholds");
  if (props.contains("vars"))
    props["vars"] = json::object{{"type", "object"},
                                 {"additionalProperties", json::object{{"type", "string"}}},
                                 {"description", "named strings, each usable as {var.NAME} in every string value"}};
  json::object doc{{"$schema", "https://json-schema.org/draft/2020-12/schema"},
                   {"$id", "https://faultline.dev/faultline.schema.json"},
                   {"title", "faultline scenario"},
                   {"description", "A faultline drill (scenarios/README.md). Generated by `faultline schema` from the "
                                   "key catalog; `faultline validate` checks units, ranges and references besides."}};
  for (auto& [k, v] : root) doc[k] = v;
  doc["$defs"] = std::move(defs);
  return doc;
}

void pretty(std::string& out, const json::value& v, int indent) {
  const std::string pad(static_cast<std::size_t>(indent) * 2, ' ');
  const std::string inner(static_cast<std::size_t>(indent + 1) * 2, ' ');
  if (v.is_object()) {
    const auto& o = v.as_object();
    if (o.empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    std::size_t i = 0;
    for (const auto& [k, x] : o) {
      out += inner + json::serialize(json::value(k)) + ": ";
      pretty(out, x, indent + 1);
      out += ++i < o.size() ? ",\n" : "\n";
    }
    out += pad + "}";
  } else if (v.is_array()) {
    const auto& a = v.as_array();
    bool flat = true;
    for (const auto& x : a) flat &= !x.is_object() && !x.is_array();
    if (flat) {
      out += json::serialize(v);
      return;
    }
    out += "[\n";
    for (std::size_t i = 0; i < a.size(); ++i) {
      out += inner;
      pretty(out, a[i], indent + 1);
      out += i + 1 < a.size() ? ",\n" : "\n";
    }
    out += pad + "]";
  } else {
    out += json::serialize(v);
  }
}

}  // namespace

std::string render_key_list() {
  std::string out;
  const auto none = [](const KindSpec&) { return ""; };
  section(out, "TOP LEVEL (the file itself; [vars], [thresholds] and the [[...]] sections below)", top_level_keys());
  section(out, "SERVICES ([[service]]: the processes of the staging clone)", service_keys());
  section(out, "HOSTS ([[host]]: machines drilled over OpenSSH)", host_keys());
  section(out, "LINKS ([[link]]: faultline's TCP proxies, where net.* faults act)", link_keys());
  out += "\nPROBE KINDS ([[probe]] kind = ..., [[guard]] and [service.ready])\n  common keys:\n";
  print_keys(out, probe_common_keys(), "    ");
  print_kinds(out, probe_kinds(), none);
  out += "\nFAULT KINDS ([[fault]] kind = ...)\n  common keys:\n";
  print_keys(out, fault_common_keys(), "    ");
  print_kinds(out, fault_kinds(), [](const KindSpec& k) { return k.reversible ? "" : " (not reversible)"; });
  section(out, "DYNAMIC TARGETS (target = { ... } or isolate = { ... }: the service chosen at injection)",
          target_select_keys());
  section(out, "STEPS ([[setup]] before the faults, [[verify]] after recovery; `integrity` is [[verify]]'s only)",
          verify_keys());
  section(out, "RUNBOOK STEPS ([[recovery]]: run in order while the fault is in effect)", recovery_keys());
  out += "\nWORKLOAD KINDS ([[workload]] kind = ...: sequenced writes, then a read for data loss)\n  common keys:\n";
  print_keys(out, workload_common_keys(), "    ");
  print_kinds(out, workload_kinds(), none);
  section(out, "THRESHOLDS ([thresholds] and [strategy.thresholds]: pass/fail objectives)", threshold_keys());
  section(out, "STRATEGIES ([[strategy]]: ways of recovering, compared on the same fault)", strategy_keys());
  out += "\n(key, type, default, meaning; durations take units: \"250ms\", \"2s\", \"1m\")\n";
  return out.substr(1);
}

std::string render_schema() {
  std::string out;
  pretty(out, schema_document(), 0);
  return out + "\n";
}

}  // namespace faultline
