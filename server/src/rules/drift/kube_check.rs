//! The check of a Kubernetes cluster: each rule's objects, its receiver Secret, and orphans.

use super::*;

impl AlertRulesService {
    pub(super) async fn check_kube(
        &self,
        handle: &ClusterHandle,
        rules: &[(Stored, Result<RuleObject, ApiError>)],
        live: &KubeLive,
        check: &mut DriftCheck,
    ) {
        let mut owned_rules = HashSet::new();
        let mut owned_configs = HashSet::new();
        let mut owned_groups = HashSet::new();
        for (s, obj) in rules {
            let key = (s.row.namespace.clone(), s.row.name.clone());
            owned_configs.insert(key.clone());
            let mut f = Finding::default();
            match obj {
                Err(e) => f.errors.push(format!("it does not render: {}", e.message)),
                Ok(obj) => {
                    let (ns, name) = (&obj.namespace, &obj.name);
                    match obj.kind {
                        AlertType::Monitor => {
                            owned_rules.insert(key.clone());
                            let labels = prometheus_rule_labels(name);
                            let expected =
                                expected_labelled(&labels, json!({"groups": [&obj.group]}));
                            let got = live.rules.get(&key).map(|v| labelled(&labels, v));
                            compare(
                                &mut f,
                                &format!("{KIND_PROMETHEUS_RULE} {ns}/{name}"),
                                &expected,
                                got.as_deref(),
                            );
                        }
                        AlertType::Logging => {
                            owned_groups.insert((ns.clone(), obj.group.name.clone()));
                            let got = live
                                .loki
                                .get(ns)
                                .and_then(|text| rule_file::parse(text).ok())
                                .and_then(|file| group_of(&file, &obj.group.name));
                            compare(
                                &mut f,
                                &format!("Loki rules {ns}/{}", obj.group.name),
                                &group_yaml(&obj.group),
                                got.as_deref(),
                            );
                        }
                    }
                    let labels = am_config_labels(obj.kind, name);
                    let (am, urls) = receiver_secret::with_url_secrets(&obj.am, name);
                    let expected = expected_labelled(
                        &labels,
                        serde_json::to_value(&am).unwrap_or(Value::Null),
                    );
                    // The URLs carry tokens: a difference is reported, never shown.
                    let secret = receiver_secret::secret_name(name);
                    let want = crate::rules::objects::receiver_secret_object(ns, name, &urls);
                    match live.secrets.get(&(ns.clone(), secret.clone())) {
                        None => f.errors.push(format!("Secret {ns}/{secret} is missing in the cluster")),
                        Some(v) if v["data"] != want["data"] => f.errors.push(format!(
                            "Secret {ns}/{secret} does not hold the receiver URLs the database renders"
                        )),
                        Some(_) => {}
                    }
                    let got = live.configs.get(&key).map(|v| labelled(&labels, v));
                    compare(
                        &mut f,
                        &format!("{KIND_AM_CONFIG} {ns}/{name}"),
                        &expected,
                        got.as_deref(),
                    );
                }
            }
            self.sanity_check(handle, s, &mut f).await;
            check.rules.push((s.row.id, s.row.name.clone(), f));
        }
        let prepared = |kind: &str, ns: &str, name: &str| {
            crate::cluster::prepare::is_prepared(&handle.settings, kind, ns, name)
        };
        for ((ns, name), v) in &live.rules {
            if !owned_rules.contains(&(ns.clone(), name.clone()))
                && !prepared(KIND_PROMETHEUS_RULE, ns, name)
            {
                check.orphans.push(OrphanFound {
                    kind: KIND_PROMETHEUS_RULE,
                    namespace: ns.clone(),
                    name: name.clone(),
                    content: redact_tokens(&yaml(&v["spec"])),
                });
            }
        }
        for ((ns, name), v) in &live.configs {
            if !owned_configs.contains(&(ns.clone(), name.clone()))
                && !prepared(KIND_AM_CONFIG, ns, name)
            {
                check.orphans.push(OrphanFound {
                    kind: KIND_AM_CONFIG,
                    namespace: ns.clone(),
                    name: name.clone(),
                    content: redact_tokens(&yaml(&v["spec"])),
                });
            }
        }
        for (ns, text) in &live.loki {
            if let Ok(file) = rule_file::parse(text) {
                loki_orphans(ns, &file, &owned_groups, check);
            }
        }
    }
}
