//! Structural validation of an object against a CRD's `openAPIV3Schema`, reporting problems the
//! way kube-apiserver words them (field paths, reasons, messages).

use serde_json::Value;

/// One step of a path into an object.
#[derive(Debug, Clone, PartialEq)]
pub enum Seg {
    Field(String),
    Index(usize),
    /// An element of a `x-kubernetes-list-type: map` list, identified by its keys.
    Key(usize, Vec<(String, Value)>),
}

/// `spec.groups[0].rules[0].for`: the path style of validation errors.
pub fn field_path(path: &[Seg]) -> String {
    let mut out = String::new();
    for s in path {
        match s {
            Seg::Field(f) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(f);
            }
            Seg::Index(i) | Seg::Key(i, _) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// `.spec.groups[name="x"].rules[0].for`: the path style of server-side apply errors.
pub fn typed_path(path: &[Seg]) -> String {
    let mut out = String::new();
    for s in path {
        match s {
            Seg::Field(f) => {
                out.push('.');
                out.push_str(f);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
            Seg::Key(_, keys) => {
                let parts: Vec<String> = keys.iter().map(|(k, v)| format!("{k}={v}")).collect();
                out.push_str(&format!("[{}]", parts.join(",")));
            }
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    Required(Vec<Seg>),
    Type {
        path: Vec<Seg>,
        expected: String,
        actual: Value,
    },
    Pattern {
        path: Vec<Seg>,
        value: String,
        pattern: String,
    },
    NotSupported {
        path: Vec<Seg>,
        value: Value,
        allowed: Vec<Value>,
    },
    Unknown(Vec<Seg>),
}

pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_ok(expected: &str, v: &Value) -> bool {
    match expected {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "integer" => json_type(v) == "integer",
        "number" => v.is_number(),
        _ => true,
    }
}

pub(crate) fn list_map_keys(schema: &Value) -> Option<Vec<String>> {
    if schema["x-kubernetes-list-type"] != "map" {
        return None;
    }
    Some(
        schema["x-kubernetes-list-map-keys"]
            .as_array()?
            .iter()
            .filter_map(|k| k.as_str().map(str::to_string))
            .collect(),
    )
}

/// How a list element is addressed: by its map keys where the schema declares them.
pub fn element_seg(list_schema: Option<&Value>, index: usize, item: &Value) -> Seg {
    match list_schema.and_then(list_map_keys) {
        Some(keys) => Seg::Key(
            index,
            keys.iter()
                .filter_map(|k| item.get(k).map(|v| (k.clone(), v.clone())))
                .collect(),
        ),
        None => Seg::Index(index),
    }
}

/// Every problem of `value` against `schema`, in a stable order (object keys sorted).
pub fn check(schema: &Value, value: &Value) -> Vec<Problem> {
    let mut out = Vec::new();
    walk(schema, value, &mut Vec::new(), &mut out, true);
    out
}

fn walk(schema: &Value, value: &Value, path: &mut Vec<Seg>, out: &mut Vec<Problem>, root: bool) {
    if value.is_null() && schema["nullable"] == true {
        return;
    }
    if schema["x-kubernetes-int-or-string"] == true {
        if !(value.is_string() || json_type(value) == "integer") {
            out.push(Problem::Type {
                path: path.clone(),
                expected: "integer-or-string".into(),
                actual: value.clone(),
            });
        }
        return;
    }
    if let Some(expected) = schema["type"].as_str()
        && !type_ok(expected, value)
    {
        out.push(Problem::Type {
            path: path.clone(),
            expected: expected.into(),
            actual: value.clone(),
        });
        return;
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        out.push(Problem::NotSupported {
            path: path.clone(),
            value: value.clone(),
            allowed: allowed.clone(),
        });
    }
    match value {
        Value::Object(map) => {
            let preserve = schema["x-kubernetes-preserve-unknown-fields"] == true;
            let props = schema["properties"].as_object();
            for req in schema["required"].as_array().into_iter().flatten() {
                if let Some(r) = req.as_str()
                    && !map.contains_key(r)
                {
                    path.push(Seg::Field(r.into()));
                    out.push(Problem::Required(path.clone()));
                    path.pop();
                }
            }
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for k in keys {
                // The API server owns metadata's shape; a CRD schema says only "object".
                if root && (k == "metadata" || k == "apiVersion" || k == "kind") {
                    continue;
                }
                path.push(Seg::Field(k.clone()));
                let child = props.and_then(|p| p.get(k));
                match (child, &schema["additionalProperties"]) {
                    (Some(s), _) => walk(s, &map[k], path, out, false),
                    (None, additional) if additional.is_object() => {
                        walk(additional, &map[k], path, out, false)
                    }
                    (None, Value::Bool(true)) => {}
                    _ if preserve => {}
                    _ => out.push(Problem::Unknown(path.clone())),
                }
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(element_seg(Some(schema), i, item));
                walk(&schema["items"], item, path, out, false);
                path.pop();
            }
        }
        Value::String(s) => {
            if let Some(p) = schema["pattern"].as_str() {
                // An invalid pattern in a schema is the schema's problem, not the object's.
                if let Ok(re) = regex::Regex::new(p)
                    && !re.is_match(s)
                {
                    out.push(Problem::Pattern {
                        path: path.clone(),
                        value: s.clone(),
                        pattern: p.into(),
                    });
                }
            }
        }
        _ => {}
    }
}

/// Drops every field the schema does not declare, as the API server prunes them.
pub fn prune(schema: &Value, value: &mut Value, root: bool) {
    if schema["x-kubernetes-preserve-unknown-fields"] == true {
        return;
    }
    match value {
        Value::Object(map) => {
            let props = schema["properties"].as_object();
            let additional = &schema["additionalProperties"];
            map.retain(|k, _| {
                (root && (k == "metadata" || k == "apiVersion" || k == "kind"))
                    || props.is_some_and(|p| p.contains_key(k))
                    || additional.is_object()
                    || *additional == Value::Bool(true)
            });
            for (k, v) in map.iter_mut() {
                if root && k == "metadata" {
                    continue;
                }
                match props.and_then(|p| p.get(k)) {
                    Some(s) => prune(s, v, false),
                    None if additional.is_object() => prune(additional, v, false),
                    None => {}
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                prune(&schema["items"], item, false);
            }
        }
        _ => {}
    }
}

/// How Go's `%v` prints an unstructured value inside a typed-patch error.
fn go_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Problem {
    pub fn path(&self) -> &[Seg] {
        match self {
            Problem::Required(p) | Problem::Unknown(p) => p,
            Problem::Type { path, .. }
            | Problem::Pattern { path, .. }
            | Problem::NotSupported { path, .. } => path,
        }
    }

    /// `(reason, message)` of a `details.causes` entry of an Invalid Status.
    pub fn cause(&self) -> Option<(&'static str, String)> {
        let field = field_path(self.path());
        match self {
            Problem::Required(_) => Some(("FieldValueRequired", "Required value".into())),
            Problem::Type {
                expected, actual, ..
            } => {
                let t = json_type(actual);
                Some((
                    "FieldValueTypeInvalid",
                    format!(
                        "Invalid value: \"{t}\": {field} in body must be of type {expected}: \"{t}\""
                    ),
                ))
            }
            Problem::Pattern { value, pattern, .. } => Some((
                "FieldValueInvalid",
                format!("Invalid value: \"{value}\": {field} in body should match '{pattern}'"),
            )),
            Problem::NotSupported { value, allowed, .. } => {
                let list: Vec<String> = allowed.iter().map(|a| a.to_string()).collect();
                Some((
                    "FieldValueNotSupported",
                    format!(
                        "Unsupported value: {value}: supported values: {}",
                        list.join(", ")
                    ),
                ))
            }
            Problem::Unknown(_) => None,
        }
    }

    /// The message of a server-side apply that cannot build its typed patch, if this problem is one.
    pub fn typed_patch_error(&self) -> Option<String> {
        let at = typed_path(self.path());
        match self {
            Problem::Unknown(_) => Some(format!("{at}: field not declared in schema")),
            Problem::Type {
                expected, actual, ..
            } => Some(format!(
                "{at}: expected {expected}, got &value.valueUnstructured{{Value:{}}}",
                go_value(actual)
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "spec": {"type": "object", "properties": {
                    "groups": {
                        "type": "array",
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["name"],
                        "items": {"type": "object", "required": ["name"], "properties": {
                            "name": {"type": "string"},
                            "interval": {"type": "string", "pattern": "^[0-9]+[smh]$"},
                            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                            "port": {"x-kubernetes-int-or-string": true}
                        }}
                    }
                }}
            }
        })
    }

    #[test]
    fn problems_name_the_field_in_both_path_styles() {
        let cases: Vec<(Value, Vec<(&str, &str)>)> = vec![
            (json!({"spec": {"groups": [{"name": "a"}]}}), vec![]),
            (
                json!({"spec": {"groups": [{"name": "a", "interval": "1 minute"}]}}),
                vec![(
                    "spec.groups[0].interval",
                    ".spec.groups[name=\"a\"].interval",
                )],
            ),
            (
                json!({"spec": {"groups": [{"interval": "1m"}]}}),
                vec![("spec.groups[0].name", ".spec.groups[].name")],
            ),
            (
                json!({"spec": {"bogus": 1, "groups": [{"name": "a", "labels": {"x": 3}}]}}),
                vec![
                    ("spec.bogus", ".spec.bogus"),
                    (
                        "spec.groups[0].labels.x",
                        ".spec.groups[name=\"a\"].labels.x",
                    ),
                ],
            ),
            (
                json!({"spec": {"groups": [{"name": "a", "port": 80}, {"name": "b", "port": true}]}}),
                vec![("spec.groups[1].port", ".spec.groups[name=\"b\"].port")],
            ),
        ];
        for (obj, want) in cases {
            let got: Vec<(String, String)> = check(&schema(), &obj)
                .iter()
                .map(|p| (field_path(p.path()), typed_path(p.path())))
                .collect();
            let want: Vec<(String, String)> = want
                .into_iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
            assert_eq!(got, want, "{obj}");
        }
    }

    #[test]
    fn prune_drops_undeclared_fields_only() {
        let mut obj = json!({"metadata": {"name": "x"}, "spec": {"bogus": 1, "groups": [{"name": "a", "forr": "1m", "labels": {"k": "v"}}]}});
        prune(&schema(), &mut obj, true);
        assert_eq!(
            obj,
            json!({"metadata": {"name": "x"}, "spec": {"groups": [{"name": "a", "labels": {"k": "v"}}]}})
        );
    }
}
