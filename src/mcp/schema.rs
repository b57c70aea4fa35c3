//! Tool definitions as the model pays for them: every request of a dream carries every tool's schema, so
//! the schemas schemars derives are pressed to what changes the model's calls. Output schemas go (the
//! answers are JSON text the model reads anyway); in input schemas, named choices become a plain `enum`
//! (their meanings are in the parameter's description), single-use definitions are inlined, and
//! `$schema`, `format`, `minimum: 0`, `null` alternatives of optional parameters, defaults that mean
//! "absent" (`null`, `[]`, `false`) and the description of an array's items (the array's own
//! description says what they are) are dropped.

use serde_json::{Map, Value};

/// `schema` pressed as the module says; the result accepts the same calls for every parameter a
/// client sends (optional parameters stay optional by being absent from `required`).
pub fn compact(schema: &Map<String, Value>) -> Map<String, Value> {
    let defs = schema.get("$defs").and_then(Value::as_object).cloned();
    let mut out = schema.clone();
    out.remove("$defs");
    out.remove("$schema");
    let mut value = Value::Object(out);
    press(&mut value, defs.as_ref(), 0);
    let Value::Object(mut out) = value else {
        return schema.clone();
    };
    // A definition too deep to inline (a recursive type) stays referenced.
    if let Some(defs) = defs.filter(|_| Value::Object(out.clone()).to_string().contains("\"$ref\""))
    {
        out.insert("$defs".into(), Value::Object(defs));
    }
    out
}

/// How deep definitions are inlined into each other before a reference is left as it is.
const MAX_INLINE_DEPTH: usize = 8;

/// Presses one schema node in place, inlining references to `defs` (`depth` of them around it).
fn press(node: &mut Value, defs: Option<&Map<String, Value>>, depth: usize) {
    let Value::Object(map) = node else {
        if let Value::Array(items) = node {
            items.iter_mut().for_each(|v| press(v, defs, depth));
        }
        return;
    };
    // `{"anyOf": [X, {"type": "null"}]}` of an optional parameter: X.
    if let Some(Value::Array(alts)) = map.get("anyOf") {
        let real: Vec<&Value> = alts.iter().filter(|a| !is_null_type(a)).collect();
        if let [only] = real.as_slice() {
            let only = (*only).clone();
            map.remove("anyOf");
            if let Value::Object(inner) = only {
                for (k, v) in inner {
                    map.entry(k).or_insert(v);
                }
            }
        }
    }
    if let Some(target) = map
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
        .and_then(|name| defs?.get(name))
        .filter(|_| depth < MAX_INLINE_DEPTH)
    {
        let mut inlined = target.clone();
        if let (Value::Object(inner), Some(description)) = (&mut inlined, map.get("description")) {
            inner.insert("description".into(), description.clone());
        }
        *node = inlined;
        return press(node, defs, depth + 1);
    }
    map.remove("format");
    map.remove("title");
    if map
        .get("default")
        .is_some_and(|d| d.is_null() || d == &Value::Array(Vec::new()) || d == &Value::Bool(false))
    {
        map.remove("default");
    }
    if map.get("minimum") == Some(&Value::from(0)) {
        map.remove("minimum");
    }
    // `"type": ["integer", "null"]`: "integer".
    if let Some(Value::Array(types)) = map.get("type") {
        let real: Vec<&Value> = types
            .iter()
            .filter(|t| t.as_str() != Some("null"))
            .collect();
        if let [only] = real.as_slice() {
            let only = (*only).clone();
            map.insert("type".into(), only);
        }
    }
    // A choice of documented constants: a plain enum.
    if let Some(Value::Array(alts)) = map.get("oneOf") {
        let consts: Option<Vec<Value>> = alts.iter().map(|a| a.get("const").cloned()).collect();
        if let Some(consts) = consts {
            map.remove("oneOf");
            map.insert("type".into(), "string".into());
            map.insert("enum".into(), Value::Array(consts));
        }
    }
    map.values_mut().for_each(|v| press(v, defs, depth));
    if let Some(Value::Object(items)) = map.get_mut("items") {
        items.remove("description");
    }
}

fn is_null_type(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn compacted(v: Value) -> Value {
        Value::Object(compact(v.as_object().expect("object")))
    }

    #[test]
    fn optional_enum_parameters_become_plain_enums() {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$defs": {"Preset": {"description": "A set.", "oneOf": [
                {"const": "a", "description": "first", "type": "string"},
                {"const": "b", "description": "second", "type": "string"}
            ]}},
            "type": "object",
            "properties": {
                "preset": {"anyOf": [{"$ref": "#/$defs/Preset"}, {"type": "null"}], "description": "Which."},
                "limit": {"type": ["integer", "null"], "format": "uint", "minimum": 0, "description": "How many."}
            }
        });
        assert_eq!(
            compacted(schema),
            json!({
                "type": "object",
                "properties": {
                    "preset": {"type": "string", "enum": ["a", "b"], "description": "Which."},
                    "limit": {"type": "integer", "description": "How many."}
                }
            })
        );
    }

    #[test]
    fn a_choice_that_is_not_only_constants_is_kept() {
        let schema = json!({"type": "object", "properties": {"x": {"oneOf": [
            {"const": "a"}, {"type": "integer"}
        ]}}});
        assert_eq!(compacted(schema.clone()), schema);
    }

    #[test]
    fn a_recursive_definition_stays_referenced() {
        let schema = json!({
            "$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}},
            "type": "object",
            "properties": {"root": {"$ref": "#/$defs/Node"}}
        });
        let out = compacted(schema);
        assert!(out["$defs"]["Node"].is_object(), "{out}");
        assert_eq!(out["properties"]["root"]["type"], "object");
    }

    #[test]
    fn defaults_meaning_absent_and_item_descriptions_go() {
        let schema = json!({"type": "object", "properties": {
            "store": {"type": ["string", "null"], "default": null, "description": "Which."},
            "evidence": {"type": "array", "default": [], "description": "Hits.", "items": {
                "type": "object", "description": "A hit.", "properties": {"uuid": {"type": "string"}}
            }},
            "all": {"type": "boolean", "default": false},
            "limit": {"type": "integer", "default": 25}
        }});
        assert_eq!(
            compacted(schema),
            json!({"type": "object", "properties": {
                "store": {"type": "string", "description": "Which."},
                "evidence": {"type": "array", "description": "Hits.", "items": {
                    "type": "object", "properties": {"uuid": {"type": "string"}}
                }},
                "all": {"type": "boolean"},
                "limit": {"type": "integer", "default": 25}
            }})
        );
    }

    #[test]
    fn a_minimum_other_than_zero_is_kept() {
        let schema =
            json!({"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}}});
        assert_eq!(compacted(schema.clone()), schema);
    }
}
