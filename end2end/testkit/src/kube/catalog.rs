//! The API resources the fake serves: the core group as the recorded discovery document lists it,
//! and every group/version of the real CRD manifests under `fixtures/crds/`.

use serde_json::{Value, json};

/// Recorded from kube-apiserver 1.36 (`fixtures/kube/`), served as they are.
pub const VERSION: &str = include_str!("../../fixtures/kube/01-version.response.json");
pub const API: &str = include_str!("../../fixtures/kube/02-discovery-api.response.json");
pub const API_V1: &str = include_str!("../../fixtures/kube/03-discovery-api-v1.response.json");
pub const APIS: &str = include_str!("../../fixtures/kube/04-discovery-apis.response.json");
/// Resource lists as recorded; their order is the order the CRDs were established in.
const RESOURCE_LISTS: [&str; 3] = [
    include_str!("../../fixtures/kube/06-discovery-monitoring-v1.response.json"),
    include_str!("../../fixtures/kube/07-discovery-monitoring-v1alpha1.response.json"),
    include_str!("../../fixtures/kube/08-discovery-logging-v1beta1.response.json"),
];

/// The CRD manifests (prometheus-operator 0.93 and logging-operator 6.7, Apache-2.0, unmodified).
pub const CRDS: [(&str, &str); 9] = [
    (
        "logging.banzaicloud.io_clusterflows.yaml",
        include_str!("../../fixtures/crds/logging.banzaicloud.io_clusterflows.yaml"),
    ),
    (
        "logging.banzaicloud.io_clusteroutputs.yaml",
        include_str!("../../fixtures/crds/logging.banzaicloud.io_clusteroutputs.yaml"),
    ),
    (
        "logging.banzaicloud.io_flows.yaml",
        include_str!("../../fixtures/crds/logging.banzaicloud.io_flows.yaml"),
    ),
    (
        "logging.banzaicloud.io_outputs.yaml",
        include_str!("../../fixtures/crds/logging.banzaicloud.io_outputs.yaml"),
    ),
    (
        "monitoring.coreos.com_alertmanagerconfigs.yaml",
        include_str!("../../fixtures/crds/monitoring.coreos.com_alertmanagerconfigs.yaml"),
    ),
    (
        "monitoring.coreos.com_podmonitors.yaml",
        include_str!("../../fixtures/crds/monitoring.coreos.com_podmonitors.yaml"),
    ),
    (
        "monitoring.coreos.com_probes.yaml",
        include_str!("../../fixtures/crds/monitoring.coreos.com_probes.yaml"),
    ),
    (
        "monitoring.coreos.com_prometheusrules.yaml",
        include_str!("../../fixtures/crds/monitoring.coreos.com_prometheusrules.yaml"),
    ),
    (
        "monitoring.coreos.com_servicemonitors.yaml",
        include_str!("../../fixtures/crds/monitoring.coreos.com_servicemonitors.yaml"),
    ),
];

/// The body of a recorded response envelope.
pub fn recorded_body(envelope: &str) -> Value {
    serde_json::from_str::<Value>(envelope)
        .ok()
        .and_then(|mut v| v.get_mut("body").map(Value::take))
        .unwrap_or(Value::Null)
}

#[derive(Debug, Clone)]
pub struct Resource {
    /// Empty for the core group.
    pub group: String,
    pub version: String,
    pub plural: String,
    pub singular: String,
    pub kind: String,
    pub namespaced: bool,
    /// `openAPIV3Schema` of this version; `None` for core types.
    pub schema: Option<Value>,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub has_status: bool,
    pub storage_version_hash: String,
}

impl Resource {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
    pub fn is_crd(&self) -> bool {
        self.schema.is_some()
    }
    /// `prometheusrules.monitoring.coreos.com`, or just `configmaps` for the core group.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

/// The recorded discovery documents, parsed once.
pub struct Recorded {
    pub version: Value,
    pub api: Value,
    pub api_v1: Value,
    pub apis: Value,
    resource_lists: Vec<Value>,
}

pub struct Catalog {
    pub resources: Vec<Resource>,
    pub recorded: Recorded,
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

impl Catalog {
    pub fn load() -> anyhow::Result<Self> {
        let recorded = Recorded {
            version: recorded_body(VERSION),
            api: recorded_body(API),
            api_v1: recorded_body(API_V1),
            apis: recorded_body(APIS),
            resource_lists: RESOURCE_LISTS.iter().map(|r| recorded_body(r)).collect(),
        };
        let mut resources = Vec::new();
        let core = &recorded.api_v1;
        for r in core["resources"].as_array().into_iter().flatten() {
            let name = r["name"].as_str().unwrap_or_default();
            if name.contains('/') {
                continue;
            }
            resources.push(Resource {
                group: String::new(),
                version: "v1".into(),
                plural: name.into(),
                singular: r["singularName"].as_str().unwrap_or_default().into(),
                kind: r["kind"].as_str().unwrap_or_default().into(),
                namespaced: r["namespaced"].as_bool().unwrap_or(true),
                schema: None,
                short_names: strings(&r["shortNames"]),
                categories: strings(&r["categories"]),
                has_status: false,
                storage_version_hash: r["storageVersionHash"].as_str().unwrap_or_default().into(),
            });
        }
        for (file, text) in CRDS {
            let crd: Value = serde_norway::from_str(text)
                .map_err(|e| anyhow::anyhow!("{file} is not valid YAML: {e}"))?;
            let spec = &crd["spec"];
            let names = &spec["names"];
            for v in spec["versions"].as_array().into_iter().flatten() {
                if v["served"].as_bool() != Some(true) {
                    continue;
                }
                resources.push(Resource {
                    group: spec["group"].as_str().unwrap_or_default().into(),
                    version: v["name"].as_str().unwrap_or_default().into(),
                    plural: names["plural"].as_str().unwrap_or_default().into(),
                    singular: names["singular"].as_str().unwrap_or_default().into(),
                    kind: names["kind"].as_str().unwrap_or_default().into(),
                    namespaced: spec["scope"].as_str() == Some("Namespaced"),
                    schema: Some(v["schema"]["openAPIV3Schema"].clone()),
                    short_names: strings(&names["shortNames"]),
                    categories: strings(&names["categories"]),
                    has_status: v["subresources"].get("status").is_some(),
                    storage_version_hash: String::new(),
                });
            }
        }
        Ok(Catalog {
            resources,
            recorded,
        })
    }

    pub fn find(&self, group: &str, version: &str, plural: &str) -> Option<&Resource> {
        self.resources
            .iter()
            .find(|r| r.group == group && r.version == version && r.plural == plural)
    }

    /// The `schema` of the served version a manifest names, for validating objects of ours.
    pub fn by_api_version(&self, api_version: &str, kind: &str) -> Option<&Resource> {
        self.resources
            .iter()
            .find(|r| r.api_version() == api_version && r.kind == kind)
    }

    /// `GET /apis/{group}`, in the shape of the recorded `05-discovery-monitoring-group`.
    pub fn api_group(&self, group: &str) -> Option<Value> {
        let listed = self.recorded.apis["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|g| g["name"] == group)
            .cloned();
        if let Some(mut g) = listed {
            let obj = g.as_object_mut()?;
            let mut out = serde_json::Map::new();
            out.insert("kind".into(), json!("APIGroup"));
            out.insert("apiVersion".into(), json!("v1"));
            out.append(obj);
            return Some(Value::Object(out));
        }
        None
    }

    /// `GET /apis/{group}/{version}`: recorded where there is a recording, else built the same way.
    pub fn resource_list(&self, group: &str, version: &str) -> Option<Value> {
        let gv = format!("{group}/{version}");
        self.recorded
            .resource_lists
            .iter()
            .find(|doc| doc["groupVersion"] == gv.as_str())
            .cloned()
            .or_else(|| self.built_resource_list(group, version))
    }

    /// A resource list built from the CRDs, for versions that were not recorded.
    pub fn built_resource_list(&self, group: &str, version: &str) -> Option<Value> {
        let listed = self.api_group(group)?;
        let served = listed["versions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|v| v["version"] == version);
        if !served {
            return None;
        }
        let mut resources = Vec::new();
        for r in self
            .resources
            .iter()
            .filter(|r| r.group == group && r.version == version)
        {
            let mut entry = json!({
                "name": r.plural,
                "singularName": r.singular,
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"],
            });
            if !r.short_names.is_empty() {
                entry["shortNames"] = json!(r.short_names);
            }
            if !r.categories.is_empty() {
                entry["categories"] = json!(r.categories);
            }
            resources.push(entry);
            if r.has_status {
                resources.push(json!({
                    "name": format!("{}/status", r.plural),
                    "singularName": "",
                    "namespaced": r.namespaced,
                    "kind": r.kind,
                    "verbs": ["get", "patch", "update"],
                }));
            }
        }
        Some(json!({
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": format!("{group}/{version}"),
            "resources": resources,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Built lists hold what the recorded ones hold (order and storage hashes aside), so the
    /// unrecorded versions (monitoring v1beta1, logging v1alpha1) are served faithfully too.
    #[test]
    fn built_resource_lists_match_the_recorded_ones() {
        let catalog = Catalog::load().expect("catalog");
        for recorded in &catalog.recorded.resource_lists {
            let gv = recorded["groupVersion"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let (g, v) = gv.split_once('/').expect("group/version");
            let built = catalog.built_resource_list(g, v).expect("built");
            let norm = |doc: &Value| {
                let mut rs: Vec<Value> = doc["resources"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|mut r| {
                        if let Some(m) = r.as_object_mut() {
                            m.remove("storageVersionHash");
                        }
                        r
                    })
                    .collect();
                rs.sort_by_key(|r| r["name"].to_string());
                rs
            };
            assert_eq!(norm(&built), norm(recorded), "{gv}");
        }
        assert!(
            catalog
                .resource_list("monitoring.coreos.com", "v1beta1")
                .is_some()
        );
        assert!(
            catalog
                .resource_list("monitoring.coreos.com", "v2")
                .is_none()
        );
    }
}
