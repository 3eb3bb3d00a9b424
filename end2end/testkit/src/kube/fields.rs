//! Managed fields as server-side apply keeps them: the `fieldsV1` set of each manager, conflicts
//! between managers, and merging an applied configuration into the live object.

use serde_json::{Map, Value, json};

/// A path into `fieldsV1`: tokens such as `f:spec`, `k:{"name":"x"}` or `.`.
pub type FieldPath = Vec<String>;

/// Core types have no CRD schema here; these are the associative lists their OpenAPI declares.
pub fn core_field_schema(kind: &str) -> Option<Value> {
    match kind {
        "Service" => Some(json!({"properties": {"spec": {"properties": {
            "ports": {
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["port", "protocol"],
                "items": {"properties": {"protocol": {"default": "TCP"}}}
            },
            "selector": {"x-kubernetes-map-type": "atomic"}
        }}}})),
        _ => None,
    }
}

fn child_schema<'a>(schema: Option<&'a Value>, key: &str) -> Option<&'a Value> {
    let s = schema?;
    s["properties"]
        .get(key)
        .or_else(|| Some(&s["additionalProperties"]).filter(|a| a.is_object()))
}

fn map_keys(schema: Option<&Value>) -> Option<Vec<String>> {
    schema.and_then(super::validate::list_map_keys)
}

/// A key field of a list element; one the element leaves out takes its schema default, because
/// the server keys elements after defaulting them (a Service port's `protocol`).
fn key_value(item: &Value, key: &str, item_schema: Option<&Value>) -> Value {
    item.get(key)
        .or_else(|| item_schema.and_then(|s| s["properties"][key].get("default")))
        .cloned()
        .unwrap_or(Value::Null)
}

fn key_token(keys: &[String], item: &Value, item_schema: Option<&Value>) -> String {
    let mut m = Map::new();
    for k in keys {
        m.insert(k.clone(), key_value(item, k, item_schema));
    }
    format!("k:{}", Value::Object(m))
}

/// The `fieldsV1` set a manager gets for `obj`. Update operations also own the maps and lists
/// they created (`.` entries); `before` is the object as it was.
pub fn field_set(
    schema: Option<&Value>,
    obj: &Value,
    before: Option<&Value>,
    update: bool,
) -> Value {
    let mut out = Map::new();
    if let Some(map) = obj.as_object() {
        for (k, v) in map {
            match k.as_str() {
                "apiVersion" | "kind" | "status" => {}
                "metadata" => {
                    let mut meta = Map::new();
                    for part in ["labels", "annotations", "finalizers"] {
                        if let Some(v) = v.get(part) {
                            let prev = before.and_then(|b| b["metadata"].get(part));
                            meta.insert(
                                format!("f:{part}"),
                                node(None, v, prev, update && prev.is_none(), update),
                            );
                        }
                    }
                    if !meta.is_empty() {
                        out.insert("f:metadata".into(), Value::Object(meta));
                    }
                }
                _ => {
                    let prev = before.and_then(|b| b.get(k));
                    out.insert(
                        format!("f:{k}"),
                        node(
                            child_schema(schema, k),
                            v,
                            prev,
                            update && prev.is_none(),
                            update,
                        ),
                    );
                }
            }
        }
    }
    Value::Object(out)
}

fn node(
    schema: Option<&Value>,
    v: &Value,
    prev: Option<&Value>,
    created: bool,
    update: bool,
) -> Value {
    let mut out = Map::new();
    let atomic_map = schema.is_some_and(|s| s["x-kubernetes-map-type"] == "atomic");
    match v {
        Value::Object(map) if !map.is_empty() && !atomic_map => {
            if created {
                out.insert(".".into(), json!({}));
            }
            for (k, child) in map {
                let p = prev.and_then(|p| p.get(k));
                out.insert(
                    format!("f:{k}"),
                    node(
                        child_schema(schema, k),
                        child,
                        p,
                        update && p.is_none(),
                        update,
                    ),
                );
            }
        }
        Value::Array(items) if schema.is_some_and(|s| s["x-kubernetes-list-type"] == "set") => {
            if created {
                out.insert(".".into(), json!({}));
            }
            for item in items {
                out.insert(format!("v:{item}"), json!({}));
            }
        }
        Value::Array(items) => {
            if let Some(keys) = map_keys(schema) {
                if created {
                    out.insert(".".into(), json!({}));
                }
                for item in items {
                    let items_schema = schema.map(|s| &s["items"]);
                    let token = key_token(&keys, item, items_schema);
                    let p = prev.and_then(|p| find_element(p, &token, items_schema));
                    let mut el = match node(schema.map(|s| &s["items"]), item, p, false, update) {
                        Value::Object(m) => m,
                        _ => Map::new(),
                    };
                    el.insert(".".into(), json!({}));
                    out.insert(token, Value::Object(el));
                }
            }
        }
        _ => {}
    }
    Value::Object(out)
}

/// Every leaf of a `fieldsV1` set.
pub fn leaves(set: &Value) -> Vec<FieldPath> {
    fn go(v: &Value, path: &mut FieldPath, out: &mut Vec<FieldPath>) {
        match v.as_object() {
            Some(m) if !m.is_empty() => {
                for (k, child) in m {
                    path.push(k.clone());
                    go(child, path, out);
                    path.pop();
                }
            }
            _ => out.push(path.clone()),
        }
    }
    let mut out = Vec::new();
    if set.as_object().is_some_and(|m| !m.is_empty()) {
        go(set, &mut Vec::new(), &mut out);
    }
    out
}

/// The inverse of [`leaves`].
pub fn from_leaves(paths: &[FieldPath]) -> Value {
    let mut root = Map::new();
    for p in paths {
        let mut cur = &mut root;
        for token in p {
            let entry = cur
                .entry(token.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            match entry {
                Value::Object(m) => cur = m,
                _ => break,
            }
        }
    }
    Value::Object(root)
}

/// The key fields of a `k:{...}` token.
fn parse_key(token: &str) -> Option<Map<String, Value>> {
    serde_json::from_str(token.strip_prefix("k:")?).ok()
}

fn is_element(item: &Value, keys: &Map<String, Value>, item_schema: Option<&Value>) -> bool {
    keys.iter()
        .all(|(k, v)| key_value(item, k, item_schema) == *v)
}

fn find_element<'a>(
    list: &'a Value,
    token: &str,
    item_schema: Option<&Value>,
) -> Option<&'a Value> {
    let keys = parse_key(token)?;
    list.as_array()?
        .iter()
        .find(|item| is_element(item, &keys, item_schema))
}

/// The schema one step down a path: a field's, or a list's items'.
fn step_schema<'a>(schema: Option<&'a Value>, token: &str) -> Option<&'a Value> {
    match token.strip_prefix("f:") {
        Some(f) => child_schema(schema, f),
        None => schema.map(|s| &s["items"]),
    }
}

/// The value a field path points at, if the object has it.
pub fn get_at<'a>(schema: Option<&Value>, obj: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cur = obj;
    let mut schema = schema;
    for token in path {
        if token == "." {
            continue;
        }
        let next = step_schema(schema, token);
        cur = match (token.strip_prefix("f:"), token.strip_prefix("v:")) {
            (Some(f), _) => cur.get(f)?,
            (None, Some(v)) => {
                let want: Value = serde_json::from_str(v).ok()?;
                cur.as_array()?.iter().find(|x| **x == want)?
            }
            _ => find_element(cur, token, next)?,
        };
        schema = next;
    }
    Some(cur)
}

/// `.spec.groups[name="x"].rules`: how conflicts name a field.
pub fn describe(path: &[String]) -> String {
    let mut out = String::new();
    for token in path {
        if token == "." {
            continue;
        }
        if let Some(v) = token.strip_prefix("v:") {
            out.push_str(&format!("[={v}]"));
            continue;
        }
        match token.strip_prefix("f:") {
            Some(f) => {
                out.push('.');
                out.push_str(f);
            }
            None => {
                let keys = parse_key(token).unwrap_or_default();
                let parts: Vec<String> = keys.iter().map(|(k, v)| format!("{k}={v}")).collect();
                out.push_str(&format!("[{}]", parts.join(",")));
            }
        }
    }
    out
}

/// Removes the field (or list element, or map) a path owns.
pub fn remove_at(schema: Option<&Value>, obj: &mut Value, path: &[String]) {
    let mut path: Vec<&String> = path.iter().collect();
    if path.last().is_some_and(|t| *t == ".") {
        path.pop();
    }
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = obj;
    let mut schema = schema;
    for token in parents {
        let next_schema = step_schema(schema, token);
        let next = match token.strip_prefix("f:") {
            Some(f) => cur.get_mut(f),
            None => match (parse_key(token), cur.as_array_mut()) {
                (Some(keys), Some(items)) => items
                    .iter_mut()
                    .find(|item| is_element(item, &keys, next_schema)),
                _ => None,
            },
        };
        match next {
            Some(n) => cur = n,
            None => return,
        }
        schema = next_schema;
    }
    if let Some(v) = last.strip_prefix("v:") {
        let want: Option<Value> = serde_json::from_str(v).ok();
        if let (Some(want), Some(items)) = (want, cur.as_array_mut()) {
            items.retain(|x| *x != want);
        }
        return;
    }
    match last.strip_prefix("f:") {
        Some(f) => {
            if let Some(m) = cur.as_object_mut() {
                m.remove(f);
            }
        }
        None => {
            let item_schema = step_schema(schema, last);
            if let (Some(keys), Some(items)) = (parse_key(last), cur.as_array_mut()) {
                items.retain(|item| !is_element(item, &keys, item_schema));
            }
        }
    }
}

/// Merges an applied configuration into the live object: maps field by field, associative lists
/// element by element, everything else replaced.
pub fn merge(schema: Option<&Value>, live: &mut Value, applied: &Value) {
    match (live, applied) {
        (Value::Object(l), Value::Object(a)) => {
            for (k, v) in a {
                let s = child_schema(schema, k);
                match l.get_mut(k) {
                    Some(existing) => merge(s, existing, v),
                    None => {
                        l.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Array(l), Value::Array(a)) if map_keys(schema).is_some() => {
            let keys = map_keys(schema).unwrap_or_default();
            let items = schema.map(|s| &s["items"]);
            for item in a {
                let token = key_token(&keys, item, items);
                let pos = l.iter().position(|x| key_token(&keys, x, items) == token);
                match pos {
                    Some(i) => merge(items, &mut l[i], item),
                    None => l.push(item.clone()),
                }
            }
        }
        (live, applied) => *live = applied.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Value {
        json!({"properties": {"spec": {"properties": {"groups": {
            "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
            "items": {"properties": {"name": {}, "rules": {}}}
        }}}}})
    }

    #[test]
    fn apply_sets_match_the_recorded_prometheusrule() {
        // fixtures/kube/12: the fieldsV1 the real API server stored for this apply.
        let obj = json!({"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
            "metadata": {"name": "a", "labels": {"x": "1"}},
            "spec": {"groups": [{"name": "a", "rules": [{"alert": "a"}]}]}});
        let want = json!({"f:metadata": {"f:labels": {"f:x": {}}},
            "f:spec": {"f:groups": {"k:{\"name\":\"a\"}": {".": {}, "f:name": {}, "f:rules": {}}}}});
        assert_eq!(field_set(Some(&schema()), &obj, None, false), want);
        let update = json!({"f:metadata": {"f:labels": {".": {}, "f:x": {}}},
            "f:spec": {".": {}, "f:groups": {".": {}, "k:{\"name\":\"a\"}": {".": {}, "f:name": {}, "f:rules": {}}}}});
        assert_eq!(field_set(Some(&schema()), &obj, None, true), update);
        assert_eq!(from_leaves(&leaves(&want)), want);
    }

    #[test]
    fn paths_address_list_elements_by_key() {
        let obj =
            json!({"spec": {"groups": [{"name": "a", "rules": [1]}, {"name": "b", "rules": [2]}]}});
        let p: FieldPath = vec![
            "f:spec".into(),
            "f:groups".into(),
            "k:{\"name\":\"b\"}".into(),
            "f:rules".into(),
        ];
        assert_eq!(get_at(Some(&schema()), &obj, &p), Some(&json!([2])));
        assert_eq!(describe(&p), ".spec.groups[name=\"b\"].rules");
        let mut removed = obj.clone();
        remove_at(
            Some(&schema()),
            &mut removed,
            &[p[0].clone(), p[1].clone(), p[2].clone(), ".".into()],
        );
        assert_eq!(
            removed,
            json!({"spec": {"groups": [{"name": "a", "rules": [1]}]}})
        );
    }

    #[test]
    fn merge_keys_associative_lists_and_replaces_atomic_ones() {
        let mut live = json!({"spec": {"groups": [{"name": "a", "rules": [1, 2]}, {"name": "b", "rules": [3]}]}});
        merge(
            Some(&schema()),
            &mut live,
            &json!({"spec": {"groups": [{"name": "a", "rules": [9]}, {"name": "c", "rules": []}]}}),
        );
        assert_eq!(
            live,
            json!({"spec": {"groups": [{"name": "a", "rules": [9]}, {"name": "b", "rules": [3]}, {"name": "c", "rules": []}]}})
        );
    }
}
