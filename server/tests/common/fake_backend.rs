//! A cluster backend held in memory, the way kube-rs' controller-rs tests its reconciler against
//! a mock client: the services' logic (write saga, config check, repair, orphans) runs against it
//! with no HTTP and no files. It stores what a Kubernetes cluster would (`kube_objects`), can be
//! edited behind Gemscope's back, and can be told to refuse writes.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use app::domain::rule_objects::{self as objects, Desired, Live, ObjectRef, RuleObject};
use app::error::ApiError;
use app::model::{ClusterKind, ClusterSettings, Component, PrepareResult};
use serde_json::Value;
use server::clusters::backend::{BackendCheck, Change, ClusterBackend, Connect, Writes};
use server::clusters::error::{BackendError, BackendResult};
use server::clusters::service::ClusterSecrets;
use server::observe::endpoint::Endpoint;

#[derive(Default)]
pub struct FakeCluster {
    pub objects: Mutex<BTreeMap<ObjectRef, Value>>,
    /// Every write and removal, in order ("put KIND ns/name", "remove KIND ns/name").
    pub log: Mutex<Vec<String>>,
    pub refuse_writes: AtomicBool,
    pub connects: AtomicUsize,
}

impl FakeCluster {
    pub fn get(&self, o: &ObjectRef) -> Option<Value> {
        self.objects.lock().unwrap().get(o).cloned()
    }

    pub fn set(&self, o: ObjectRef, v: Value) {
        self.objects.lock().unwrap().insert(o, v);
    }

    pub fn names(&self) -> Vec<String> {
        self.objects.lock().unwrap().keys().map(describe).collect()
    }

    fn put(&self, o: &ObjectRef, v: &Value) -> BackendResult<Writes> {
        if self.refuse_writes.load(Ordering::SeqCst) {
            return Err(BackendError::Settings(
                "the fake cluster refuses writes".into(),
            ));
        }
        let mut objects = self.objects.lock().unwrap();
        if objects.get(o) == Some(v) {
            return Ok(0);
        }
        objects.insert(o.clone(), v.clone());
        self.log
            .lock()
            .unwrap()
            .push(format!("put {}", describe(o)));
        Ok(1)
    }

    fn delete(&self, o: &ObjectRef) -> BackendResult<Writes> {
        if self.refuse_writes.load(Ordering::SeqCst) {
            return Err(BackendError::Settings(
                "the fake cluster refuses writes".into(),
            ));
        }
        let gone = self.objects.lock().unwrap().remove(o).is_some();
        if gone {
            self.log
                .lock()
                .unwrap()
                .push(format!("remove {}", describe(o)));
        }
        Ok(usize::from(gone))
    }
}

pub fn describe(o: &ObjectRef) -> String {
    format!("{} {}/{}", o.kind(), o.namespace(), o.name())
}

/// The backend of one cluster, over a shared `FakeCluster`. Its components are the direct URLs
/// of its settings (a test that needs silences gives it a real Alertmanager).
pub struct FakeBackend(pub Arc<FakeCluster>, pub ClusterSettings);

#[async_trait::async_trait]
impl ClusterBackend for FakeBackend {
    fn desired(&self, rules: &[RuleObject]) -> BackendResult<Vec<Vec<Desired>>> {
        rules
            .iter()
            .map(|r| objects::kube_objects(r).map_err(BackendError::Render))
            .collect()
    }

    async fn live(&self) -> BackendResult<Live> {
        Ok(Live {
            objects: self.0.objects.lock().unwrap().clone(),
        })
    }

    async fn apply(&self, change: &Change<'_>) -> BackendResult<Writes> {
        let ns = change.namespace.to_string();
        let mut writes = 0;
        if change.drops_monitor() {
            writes += self.0.delete(&ObjectRef::PrometheusRule {
                namespace: ns.clone(),
                name: change.name.into(),
            })?;
        }
        if change.touches_logs() {
            let keep: Vec<String> = objects::loki_groups(change.rules, &ns)
                .into_iter()
                .map(|g| g.name)
                .collect();
            let stale: Vec<ObjectRef> = self
                .0
                .objects
                .lock()
                .unwrap()
                .keys()
                .filter(|o| matches!(o, ObjectRef::LokiGroup { namespace, group } if *namespace == ns && !keep.contains(group)))
                .cloned()
                .collect();
            for o in stale {
                writes += self.0.delete(&o)?;
            }
        }
        match change.after {
            Some(a) => {
                for d in objects::kube_objects(a).map_err(BackendError::Render)? {
                    writes += self.0.put(&d.object, &d.content)?;
                }
            }
            None => {
                for o in [
                    ObjectRef::AlertmanagerConfig {
                        namespace: ns.clone(),
                        name: change.name.into(),
                    },
                    ObjectRef::ReceiverSecret {
                        namespace: ns.clone(),
                        name: app::domain::receiver_secret::secret_name(change.name),
                    },
                ] {
                    writes += self.0.delete(&o)?;
                }
            }
        }
        Ok(writes)
    }

    async fn remove(&self, object: &ObjectRef) -> BackendResult<()> {
        self.0.delete(object).map(|_| ())
    }

    fn needs_every_rule(&self) -> bool {
        false
    }

    fn endpoints(&self) -> Vec<(Component, Endpoint, bool)> {
        server::observe::endpoint::endpoints(&self.1, None)
    }

    fn kubernetes(&self) -> Option<&kube::Client> {
        None
    }

    async fn check(&self) -> BackendCheck {
        BackendCheck::default()
    }

    async fn prepare(&self) -> Result<Vec<PrepareResult>, ApiError> {
        Ok(Vec::new())
    }
}

/// Connects every cluster to the one fake.
pub struct FakeConnector(pub Arc<FakeCluster>);

#[async_trait::async_trait]
impl Connect for FakeConnector {
    async fn connect(
        &self,
        _name: &str,
        _kind: ClusterKind,
        settings: ClusterSettings,
        _secrets: &ClusterSecrets,
        _http: reqwest::Client,
    ) -> BackendResult<Arc<dyn ClusterBackend>> {
        self.0.connects.fetch_add(1, Ordering::SeqCst);
        Ok(Arc::new(FakeBackend(self.0.clone(), settings)))
    }
}
