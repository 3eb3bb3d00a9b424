//! The in-memory object store: resourceVersions, managed fields, validation and watch events,
//! behaving as kube-apiserver did in the recordings.

use std::collections::BTreeMap;

use http::StatusCode;
use serde_json::{Map, Value, json};
use tokio::sync::broadcast;

use super::catalog::Resource;
use super::fields::{self, FieldPath};
use super::status::{self, Reply};
use super::validate::{self, Problem, field_path};

/// `(group, plural, namespace, name)`.
pub type Key = (String, String, String, String);

#[derive(Debug, Clone)]
pub struct Event {
    pub rv: u64,
    pub group: String,
    pub plural: String,
    pub namespace: String,
    pub kind: &'static str,
    pub object: Value,
}

/// What a list or watch asks for: one resource, optionally one namespace, a label selector.
#[derive(Debug, Clone)]
pub struct Filter {
    pub group: String,
    pub plural: String,
    pub namespace: Option<String>,
    pub selector: String,
}

impl Filter {
    pub fn new(res: &Resource, ns: Option<&str>, selector: &str) -> Self {
        Filter {
            group: res.group.clone(),
            plural: res.plural.clone(),
            namespace: ns.map(str::to_string),
            selector: selector.to_string(),
        }
    }

    fn matches_parts(&self, group: &str, plural: &str, namespace: &str, obj: &Value) -> bool {
        group == self.group
            && plural == self.plural
            && self.namespace.as_deref().is_none_or(|n| namespace == n)
            && selector_matches(&self.selector, &obj["metadata"]["labels"])
    }

    pub fn matches(&self, key: &Key, obj: &Value) -> bool {
        self.matches_parts(&key.0, &key.1, &key.2, obj)
    }

    pub fn matches_event(&self, e: &Event) -> bool {
        self.matches_parts(&e.group, &e.plural, &e.namespace, &e.object)
    }
}

/// How unknown fields of a create or update are treated (`fieldValidation`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldValidation {
    Ignore,
    Warn,
    Strict,
}

pub struct Write<'a> {
    pub res: &'a Resource,
    pub namespace: Option<&'a str>,
    pub manager: &'a str,
    pub validation: FieldValidation,
}

pub struct Store {
    objects: BTreeMap<Key, Value>,
    rv: u64,
    /// The oldest resourceVersion a watch may resume from.
    pub oldest: u64,
    history: Vec<Event>,
    pub events: broadcast::Sender<Event>,
    next_ip: u32,
}

pub fn now() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

fn uid() -> String {
    let mut b = [0u8; 16];
    let _ = getrandom::fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn field_schema(res: &Resource) -> Option<Value> {
    res.schema
        .clone()
        .or_else(|| fields::core_field_schema(&res.kind))
}

/// The object without what changes on every write, to tell a no-op from a change.
fn comparable(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(meta) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("resourceVersion");
        if let Some(Value::Array(entries)) = meta.get_mut("managedFields") {
            for e in entries {
                if let Some(m) = e.as_object_mut() {
                    m.remove("time");
                }
            }
        }
    }
    o
}

/// Everything but metadata and status: what `generation` counts changes of.
fn content(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(m) = o.as_object_mut() {
        for k in ["metadata", "status", "apiVersion", "kind"] {
            m.remove(k);
        }
    }
    o
}

fn managed(obj: &Value) -> Vec<Value> {
    obj["metadata"]["managedFields"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn entry_leaves(entry: &Value) -> Vec<FieldPath> {
    fields::leaves(&entry["fieldsV1"])
}

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            if let Some(t) = target.as_object_mut() {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// Equality terms of a label selector (`a=b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x)`).
pub fn selector_matches(selector: &str, labels: &Value) -> bool {
    let mut terms = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in selector.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                terms.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    terms.push(cur);
    let get = |k: &str| labels.get(k.trim()).and_then(Value::as_str);
    terms
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .all(|t| {
            if let Some((k, v)) = t.split_once("!=") {
                return get(k) != Some(v.trim());
            }
            if let Some((k, v)) = t.split_once("==").or_else(|| t.split_once('=')) {
                return get(k) == Some(v.trim());
            }
            let set = |s: &str| -> Vec<String> {
                s.trim()
                    .trim_start_matches('(')
                    .trim_end_matches(')')
                    .split(',')
                    .map(|x| x.trim().to_string())
                    .collect()
            };
            if let Some((k, vs)) = t.split_once(" notin ") {
                return !get(k).is_some_and(|v| set(vs).iter().any(|x| x == v));
            }
            if let Some((k, vs)) = t.split_once(" in ") {
                return get(k).is_some_and(|v| set(vs).iter().any(|x| x == v));
            }
            match t.strip_prefix('!') {
                Some(k) => get(k).is_none(),
                None => get(t).is_some(),
            }
        })
}

impl Store {
    pub fn new() -> Self {
        let (events, _) = broadcast::channel(1024);
        let mut s = Store {
            objects: BTreeMap::new(),
            rv: 100,
            oldest: 100,
            history: Vec::new(),
            events,
            next_ip: 1,
        };
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            s.insert_namespace(ns);
        }
        s.oldest = s.rv;
        s
    }

    fn insert_namespace(&mut self, name: &str) {
        self.rv += 1;
        let obj = json!({"kind": "Namespace", "apiVersion": "v1", "metadata": {
            "name": name, "uid": uid(), "resourceVersion": self.rv.to_string(), "creationTimestamp": now(),
            "labels": {"kubernetes.io/metadata.name": name}},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}});
        self.objects.insert(
            (
                String::new(),
                "namespaces".into(),
                String::new(),
                name.into(),
            ),
            obj,
        );
    }

    pub fn resource_version(&self) -> u64 {
        self.rv
    }

    pub fn namespace_exists(&self, ns: &str) -> bool {
        self.objects
            .contains_key(&(String::new(), "namespaces".into(), String::new(), ns.into()))
    }

    fn key(res: &Resource, ns: Option<&str>, name: &str) -> Key {
        (
            res.group.clone(),
            res.plural.clone(),
            ns.unwrap_or_default().to_string(),
            name.to_string(),
        )
    }

    /// Objects are stored once; a read through another served version only changes `apiVersion`
    /// (the recorded CRDs have no conversion webhook).
    fn as_version(res: &Resource, obj: &Value) -> Value {
        let mut o = obj.clone();
        o["apiVersion"] = json!(res.api_version());
        o
    }

    pub fn get(&self, res: &Resource, ns: Option<&str>, name: &str) -> Reply {
        match self.objects.get(&Self::key(res, ns, name)) {
            Some(o) => Reply::ok(StatusCode::OK, Self::as_version(res, o)),
            None => status::not_found(res, name),
        }
    }

    pub fn object(&self, res: &Resource, ns: Option<&str>, name: &str) -> Option<&Value> {
        self.objects.get(&Self::key(res, ns, name))
    }

    pub fn list(
        &self,
        res: &Resource,
        filter: &Filter,
        limit: Option<usize>,
        cont: Option<&str>,
    ) -> Reply {
        let start_after = cont
            .and_then(|c| {
                base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, c).ok()
            })
            .and_then(|b| String::from_utf8(b).ok());
        let matching: Vec<(&Key, &Value)> = self
            .objects
            .iter()
            .filter(|(k, o)| filter.matches(k, o))
            .filter(|(k, _)| {
                start_after
                    .as_deref()
                    .is_none_or(|s| format!("{}/{}", k.2, k.3).as_str() > s)
            })
            .collect();
        let take = limit.filter(|l| *l > 0).unwrap_or(usize::MAX);
        let page: Vec<Value> = matching
            .iter()
            .take(take)
            .map(|(_, o)| Self::as_version(res, o))
            .collect();
        let mut meta = Map::new();
        meta.insert("resourceVersion".into(), json!(self.rv.to_string()));
        if matching.len() > take
            && let Some((k, _)) = matching.get(take - 1)
        {
            let token = base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                format!("{}/{}", k.2, k.3),
            );
            meta.insert("continue".into(), json!(token));
            meta.insert("remainingItemCount".into(), json!(matching.len() - take));
        } else if res.is_crd() {
            // Custom resources are served as unstructured lists, which always carry the field.
            meta.insert("continue".into(), json!(""));
        }
        Reply::ok(
            StatusCode::OK,
            json!({"apiVersion": res.api_version(), "items": page, "kind": format!("{}List", res.kind), "metadata": meta}),
        )
    }

    /// Events after `rv` that a watch sees, and a receiver for the rest.
    pub fn watch_from(
        &self,
        filter: &Filter,
        rv: Option<u64>,
    ) -> Result<(Vec<Event>, broadcast::Receiver<Event>), Value> {
        let rx = self.events.subscribe();
        let backlog = match rv {
            Some(rv) if rv < self.oldest => return Err(status::expired(rv, self.oldest)),
            Some(rv) => self
                .history
                .iter()
                .filter(|e| e.rv > rv && filter.matches_event(e))
                .cloned()
                .collect(),
            // No resourceVersion: the current state first, as ADDED events.
            None => self
                .objects
                .iter()
                .filter(|(k, o)| filter.matches(k, o))
                .map(|(k, o)| Event {
                    rv: self.rv,
                    group: k.0.clone(),
                    plural: k.1.clone(),
                    namespace: k.2.clone(),
                    kind: "ADDED",
                    object: o.clone(),
                })
                .collect(),
        };
        Ok((backlog, rx))
    }

    fn emit(&mut self, key: &Key, kind: &'static str, object: Value) {
        let e = Event {
            rv: self.rv,
            group: key.0.clone(),
            plural: key.1.clone(),
            namespace: key.2.clone(),
            kind,
            object,
        };
        self.history.push(e.clone());
        let _ = self.events.send(e);
    }

    /// Server-side defaults the recorded objects carry.
    fn defaults(&mut self, res: &Resource, obj: &mut Value, before: Option<&Value>) {
        match res.kind.as_str() {
            "Namespace" => {
                obj["spec"]["finalizers"] = json!(["kubernetes"]);
                obj["status"] = json!({"phase": "Active"});
            }
            "Secret" if obj.get("type").is_none() => obj["type"] = json!("Opaque"),
            // Go's omitempty: an Endpoints without subsets is stored without the field.
            "Endpoints" => {
                if obj["subsets"].as_array().is_some_and(Vec::is_empty)
                    && let Some(m) = obj.as_object_mut()
                {
                    m.remove("subsets");
                }
            }
            "Service" => {
                let ip = match before.and_then(|b| b["spec"].get("clusterIP")) {
                    Some(ip) => ip.clone(),
                    None => {
                        self.next_ip += 1;
                        json!(format!(
                            "10.96.{}.{}",
                            self.next_ip / 250,
                            self.next_ip % 250 + 2
                        ))
                    }
                };
                let spec = &mut obj["spec"];
                for p in spec["ports"].as_array_mut().into_iter().flatten() {
                    if p.get("protocol").is_none() {
                        p["protocol"] = json!("TCP");
                    }
                    if p.get("targetPort").is_none() {
                        p["targetPort"] = p["port"].clone();
                    }
                }
                spec["clusterIP"] = ip.clone();
                spec["clusterIPs"] = json!([ip]);
                for (k, v) in [
                    ("type", json!("ClusterIP")),
                    ("sessionAffinity", json!("None")),
                    ("ipFamilies", json!(["IPv4"])),
                    ("ipFamilyPolicy", json!("SingleStack")),
                    ("internalTrafficPolicy", json!("Cluster")),
                ] {
                    if spec.get(k).is_none() {
                        spec[k] = v;
                    }
                }
                obj["status"] = json!({"loadBalancer": {}});
            }
            _ => {}
        }
    }

    fn admit_metadata(res: &Resource, obj: &mut Value, name: &str) {
        if res.kind == "Namespace" {
            obj["metadata"]["labels"]["kubernetes.io/metadata.name"] = json!(name);
        }
    }

    /// Validation of a create or update: 422 for invalid values, unknown fields by `fieldValidation`.
    fn validate_write(
        res: &Resource,
        obj: &mut Value,
        name: &str,
        validation: FieldValidation,
    ) -> Result<Vec<String>, Reply> {
        let Some(schema) = &res.schema else {
            return Ok(Vec::new());
        };
        let problems = validate::check(schema, obj);
        let (unknown, invalid): (Vec<Problem>, Vec<Problem>) = problems
            .into_iter()
            .partition(|p| matches!(p, Problem::Unknown(_)));
        if !invalid.is_empty() {
            return Err(status::invalid(res, name, &invalid));
        }
        let names: Vec<String> = unknown
            .iter()
            .map(|p| format!("unknown field \"{}\"", field_path(p.path())))
            .collect();
        if validation == FieldValidation::Strict && !names.is_empty() {
            return Err(status::bad_request(&format!(
                "{kind} in version \"{v}\" cannot be handled as a {kind}: strict decoding error: {}",
                names.join(", "),
                kind = res.kind,
                v = res.version
            )));
        }
        validate::prune(schema, obj, true);
        Ok(if validation == FieldValidation::Warn {
            names
        } else {
            Vec::new()
        })
    }

    /// Stores the result of a write when it changed anything; the reply carries the stored object.
    fn commit(
        &mut self,
        w: &Write,
        name: &str,
        before: Option<&Value>,
        mut obj: Value,
        created_status: StatusCode,
    ) -> Reply {
        if let Some(b) = before
            && comparable(b) == comparable(&obj)
        {
            return Reply::ok(StatusCode::OK, Self::as_version(w.res, b));
        }
        self.rv += 1;
        let meta = &mut obj["metadata"];
        meta["resourceVersion"] = json!(self.rv.to_string());
        match before {
            Some(b) => {
                meta["uid"] = b["metadata"]["uid"].clone();
                meta["creationTimestamp"] = b["metadata"]["creationTimestamp"].clone();
                if w.res.is_crd() {
                    let g = b["metadata"]["generation"].as_u64().unwrap_or(1);
                    let changed = content(b) != content(&obj);
                    obj["metadata"]["generation"] = json!(if changed { g + 1 } else { g });
                }
            }
            None => {
                meta["uid"] = json!(uid());
                meta["creationTimestamp"] = json!(now());
                if w.res.is_crd() {
                    meta["generation"] = json!(1);
                }
            }
        }
        let key = Self::key(w.res, w.namespace, name);
        self.objects.insert(key.clone(), obj.clone());
        let kind = if before.is_some() {
            "MODIFIED"
        } else {
            "ADDED"
        };
        self.emit(&key, kind, obj.clone());
        let code = if before.is_some() {
            StatusCode::OK
        } else {
            created_status
        };
        Reply::ok(code, Self::as_version(w.res, &obj))
    }

    /// Drops leaves whose field is gone, and managers left with nothing.
    fn tidy_managed(schema: Option<&Value>, entries: Vec<Value>, obj: &Value) -> Vec<Value> {
        entries
            .into_iter()
            .filter_map(|mut e| {
                let kept: Vec<FieldPath> = entry_leaves(&e)
                    .into_iter()
                    .filter(|p| fields::get_at(schema, obj, p).is_some())
                    .collect();
                if kept.is_empty() {
                    return None;
                }
                e["fieldsV1"] = fields::from_leaves(&kept);
                Some(e)
            })
            .collect()
    }

    fn entry(res: &Resource, manager: &str, operation: &str, set: Value) -> Value {
        json!({"apiVersion": res.api_version(), "fieldsType": "FieldsV1", "fieldsV1": set,
            "manager": manager, "operation": operation, "time": now()})
    }

    /// The managed fields after an Update by `manager`: it owns what it changed (and created).
    fn update_managed(
        res: &Resource,
        manager: &str,
        before: Option<&Value>,
        obj: &Value,
    ) -> Vec<Value> {
        let schema = field_schema(res);
        let set = fields::field_set(schema.as_ref(), obj, before, true);
        let changed: Vec<FieldPath> = fields::leaves(&set)
            .into_iter()
            .filter(|p| {
                let sc = schema.as_ref();
                match (before, p.split_last()) {
                    (None, _) => true,
                    // A list element's own marker: changed only when the element is new (a
                    // kept element that moved, as in fixture 61, is not a change).
                    (Some(b), Some((last, parent))) if last == "." => {
                        fields::get_at(sc, b, parent).is_none()
                    }
                    (Some(b), _) => fields::get_at(sc, b, p) != fields::get_at(sc, obj, p),
                }
            })
            .collect();
        let mut entries = before.map(managed).unwrap_or_default();
        if !changed.is_empty() {
            let pos = entries
                .iter()
                .position(|e| e["manager"] == manager && e["operation"] == "Update");
            match pos {
                Some(i) => {
                    let mut all = entry_leaves(&entries[i]);
                    for p in changed {
                        if !all.contains(&p) {
                            all.push(p);
                        }
                    }
                    entries[i]["fieldsV1"] = fields::from_leaves(&all);
                    entries[i]["time"] = json!(now());
                }
                None => entries.push(Self::entry(
                    res,
                    manager,
                    "Update",
                    fields::from_leaves(&changed),
                )),
            }
        }
        Self::tidy_managed(schema.as_ref(), entries, obj)
    }

    pub fn create(&mut self, w: &Write, mut obj: Value) -> Reply {
        let name = obj["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if name.is_empty() {
            return status::invalid(
                w.res,
                "",
                &[Problem::Required(vec![
                    validate::Seg::Field("metadata".into()),
                    validate::Seg::Field("name".into()),
                ])],
            );
        }
        if let Some(ns) = w.namespace {
            if !self.namespace_exists(ns) {
                return status::namespace_not_found(ns);
            }
            obj["metadata"]["namespace"] = json!(ns);
        }
        if self.object(w.res, w.namespace, &name).is_some() {
            return status::already_exists(w.res, &name);
        }
        let warnings = match Self::validate_write(w.res, &mut obj, &name, w.validation) {
            Ok(w) => w,
            Err(r) => return r,
        };
        obj["apiVersion"] = json!(w.res.api_version());
        obj["kind"] = json!(w.res.kind);
        Self::admit_metadata(w.res, &mut obj, &name);
        let managed = Self::update_managed(w.res, w.manager, None, &obj);
        obj["metadata"]["managedFields"] = json!(managed);
        self.defaults(w.res, &mut obj, None);
        let mut reply = self.commit(w, &name, None, obj, StatusCode::CREATED);
        reply.warnings = warnings;
        reply
    }

    /// PUT (a whole new object, optionally guarded by resourceVersion) or merge patch.
    pub fn update(&mut self, w: &Write, name: &str, patch: Option<&Value>, body: Value) -> Reply {
        let Some(before) = self.object(w.res, w.namespace, name).cloned() else {
            return status::not_found(w.res, name);
        };
        let mut obj = match patch {
            Some(p) => {
                let mut o = before.clone();
                merge_patch(&mut o, p);
                o
            }
            None => {
                let wanted = body["metadata"]["resourceVersion"].as_str();
                if wanted
                    .is_some_and(|rv| Some(rv) != before["metadata"]["resourceVersion"].as_str())
                {
                    return status::modified(w.res, name);
                }
                let mut o = body;
                o["metadata"]["managedFields"] = before["metadata"]["managedFields"].clone();
                o
            }
        };
        obj["metadata"]["name"] = json!(name);
        if let Some(ns) = w.namespace {
            obj["metadata"]["namespace"] = json!(ns);
        }
        let warnings = match Self::validate_write(w.res, &mut obj, name, w.validation) {
            Ok(w) => w,
            Err(r) => return r,
        };
        obj["apiVersion"] = json!(w.res.api_version());
        obj["kind"] = json!(w.res.kind);
        let managed = Self::update_managed(w.res, w.manager, Some(&before), &obj);
        obj["metadata"]["managedFields"] = json!(managed);
        self.defaults(w.res, &mut obj, Some(&before));
        let mut reply = self.commit(w, name, Some(&before), obj, StatusCode::OK);
        reply.warnings = warnings;
        reply
    }

    /// Server-side apply (`application/apply-patch+yaml`).
    pub fn apply(&mut self, w: &Write, name: &str, applied: Value, force: bool) -> Reply {
        if applied["metadata"]["name"]
            .as_str()
            .is_some_and(|n| n != name)
        {
            return status::bad_request(&format!(
                "the name of the object ({}) does not match the name on the URL ({name})",
                applied["metadata"]["name"].as_str().unwrap_or_default()
            ));
        }
        if let Some(ns) = w.namespace
            && !self.namespace_exists(ns)
        {
            return status::namespace_not_found(ns);
        }
        if let Some(schema) = &w.res.schema
            && let Some(why) = validate::check(schema, &applied)
                .iter()
                .find_map(Problem::typed_patch_error)
        {
            return status::typed_patch(w.res, w.namespace, name, &why);
        }
        let schema = field_schema(w.res);
        let before = self.object(w.res, w.namespace, name).cloned();
        let applied_set = fields::field_set(schema.as_ref(), &applied, None, false);
        let applied_leaves: Vec<FieldPath> = fields::leaves(&applied_set);
        let mut entries = before.as_ref().map(managed).unwrap_or_default();

        let mut conflicts = Vec::new();
        let live = before.clone().unwrap_or(Value::Null);
        for e in entries.iter_mut().filter(|e| e["manager"] != w.manager) {
            let theirs = entry_leaves(e);
            let clashing: Vec<FieldPath> = theirs
                .iter()
                .filter(|p| p.last().is_some_and(|t| t != "."))
                .filter(|p| applied_leaves.contains(p))
                .filter(|p| {
                    fields::get_at(schema.as_ref(), &live, p)
                        != fields::get_at(schema.as_ref(), &applied, p)
                })
                .cloned()
                .collect();
            for p in &clashing {
                conflicts.push((
                    e["manager"].as_str().unwrap_or_default().to_string(),
                    fields::describe(p),
                ));
            }
            if force && !clashing.is_empty() {
                let kept: Vec<FieldPath> = theirs
                    .into_iter()
                    .filter(|p| !clashing.contains(p))
                    .collect();
                e["fieldsV1"] = fields::from_leaves(&kept);
            }
        }
        if !force && !conflicts.is_empty() {
            return status::apply_conflict(&conflicts);
        }

        let mut obj = before.clone().unwrap_or_else(|| {
            json!({"apiVersion": w.res.api_version(), "kind": w.res.kind, "metadata": {"name": name}})
        });
        if let Some(ns) = w.namespace {
            obj["metadata"]["namespace"] = json!(ns);
        }
        // Fields this manager set before and no longer applies go away, unless someone else owns them.
        let others: Vec<FieldPath> = entries
            .iter()
            .filter(|e| e["manager"] != w.manager)
            .flat_map(entry_leaves)
            .collect();
        let mut dropped: Vec<FieldPath> = entries
            .iter()
            .filter(|e| e["manager"] == w.manager && e["operation"] == "Apply")
            .flat_map(entry_leaves)
            .filter(|p| !applied_leaves.contains(p) && !others.contains(p))
            .collect();
        dropped.sort_by_key(|p| std::cmp::Reverse(p.len()));
        for p in &dropped {
            fields::remove_at(schema.as_ref(), &mut obj, p);
        }
        let mut config = applied.clone();
        if let Some(m) = config.as_object_mut() {
            m.remove("apiVersion");
            m.remove("kind");
            m.remove("status");
        }
        if let Some(meta) = config.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.retain(|k, _| matches!(k.as_str(), "labels" | "annotations" | "finalizers"));
        }
        fields::merge(schema.as_ref(), &mut obj, &config);
        if before.is_none() {
            Self::admit_metadata(w.res, &mut obj, name);
        }
        if let Some(s) = &w.res.schema {
            let invalid: Vec<Problem> = validate::check(s, &obj)
                .into_iter()
                .filter(|p| !matches!(p, Problem::Unknown(_)))
                .collect();
            if !invalid.is_empty() {
                return status::invalid(w.res, name, &invalid);
            }
        }
        entries.retain(|e| !(e["manager"] == w.manager && e["operation"] == "Apply"));
        if !applied_leaves.is_empty() {
            let previous = before
                .as_ref()
                .map(managed)
                .unwrap_or_default()
                .into_iter()
                .find(|e| e["manager"] == w.manager && e["operation"] == "Apply");
            let mut e = Self::entry(w.res, w.manager, "Apply", applied_set);
            if let Some(p) = previous
                && p["fieldsV1"] == e["fieldsV1"]
            {
                e["time"] = p["time"].clone();
            }
            entries.insert(0, e);
        }
        let entries = Self::tidy_managed(schema.as_ref(), entries, &obj);
        if entries.is_empty() {
            if let Some(m) = obj["metadata"].as_object_mut() {
                m.remove("managedFields");
            }
        } else {
            obj["metadata"]["managedFields"] = json!(entries);
        }
        self.defaults(w.res, &mut obj, before.as_ref());
        self.commit(w, name, before.as_ref(), obj, StatusCode::CREATED)
    }

    pub fn delete(&mut self, res: &Resource, ns: Option<&str>, name: &str) -> Reply {
        let key = Self::key(res, ns, name);
        let Some(mut obj) = self.objects.remove(&key) else {
            return status::not_found(res, name);
        };
        self.rv += 1;
        obj["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        if res.kind == "Namespace" {
            // What the API server answers (recorded 49); the contents go at once, as the
            // namespace controller of a real cluster removes them shortly after.
            let mut answer = obj.clone();
            answer["metadata"]["deletionTimestamp"] = json!(now());
            if let Some(m) = answer["metadata"].as_object_mut() {
                m.remove("managedFields");
            }
            answer["status"]["phase"] = json!("Terminating");
            let inside: Vec<Key> = self
                .objects
                .keys()
                .filter(|k| k.2 == name)
                .cloned()
                .collect();
            for k in inside {
                if let Some(o) = self.objects.remove(&k) {
                    self.rv += 1;
                    self.emit(&k, "DELETED", o);
                }
            }
            self.emit(&key, "DELETED", obj);
            return Reply::ok(StatusCode::OK, answer);
        }
        let uid = obj["metadata"]["uid"].clone();
        self.emit(&key, "DELETED", obj);
        status::deleted(res, name, &uid)
    }
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_selectors() {
        let labels = json!({"a": "1", "b": "2"});
        for (sel, want) in [
            ("", true),
            ("a=1", true),
            ("a==1,b=2", true),
            ("a=2", false),
            ("a!=2", true),
            ("c", false),
            ("!c", true),
            ("a in (1,3)", true),
            ("a notin (1,3)", false),
            ("b in (3)", false),
        ] {
            assert_eq!(selector_matches(sel, &labels), want, "{sel}");
        }
    }

    #[test]
    fn merge_patch_follows_rfc7386() {
        let mut t = json!({"a": 1, "b": {"c": 2, "d": 3}});
        merge_patch(&mut t, &json!({"a": null, "b": {"c": 9}, "e": [1]}));
        assert_eq!(t, json!({"b": {"c": 9, "d": 3}, "e": [1]}));
    }
}
