//! The check of a standalone cluster: each rule's file and its part of `alertmanager.yml`.

use super::*;

impl AlertRulesService {
    pub(super) async fn check_files(
        &self,
        handle: &ClusterHandle,
        rules: &Rendered,
        check: &mut DriftCheck,
    ) -> BackendResult<()> {
        let s = &handle.settings;
        let mut owned = HashSet::new();
        let mut owned_groups = HashSet::new();
        let mut loki_files: HashMap<String, Option<RuleFile>> = HashMap::new();
        let am = am_files(s, rules)?;
        for (stored, obj) in rules {
            let mut f = Finding::default();
            if let (Ok(obj), Some((expected, live))) = (obj, &am) {
                let prefix = format!("{}/{}/", obj.namespace, obj.name);
                let got = live.as_ref().map(|l| am_part(l, &prefix));
                compare(
                    &mut f,
                    &format!("alertmanager.yml routing of {}/{}", obj.namespace, obj.name),
                    &yaml(&am_part(expected, &prefix)),
                    got.as_ref()
                        .filter(|v| !is_empty_part(v))
                        .map(yaml)
                        .as_deref(),
                );
            }
            match obj {
                Err(e) => f.errors.push(format!("it does not render: {}", e.message)),
                Ok(obj) if obj.kind == AlertType::Monitor => {
                    let stem = objects::standalone_rule_file(&obj.namespace, &obj.name);
                    let path = RuleTarget {
                        dir: &s.rules_dir,
                        name: &stem,
                        reload: None,
                    }
                    .path()?;
                    owned.insert(stem);
                    let expected = rule_file::render(&RuleFile {
                        groups: vec![obj.group.clone()],
                    })
                    .map_err(BackendError::Render)?;
                    compare(
                        &mut f,
                        &format!("{KIND_RULE_FILE} {}", path.display()),
                        &expected,
                        standalone::read_optional(&path)?.as_deref(),
                    );
                }
                Ok(obj) => {
                    let path = loki_file(s, &obj.namespace)?;
                    owned_groups.insert((obj.namespace.clone(), obj.group.name.clone()));
                    if !loki_files.contains_key(&obj.namespace) {
                        loki_files.insert(obj.namespace.clone(), read_rule_file(&path)?);
                    }
                    let got = loki_files
                        .get(&obj.namespace)
                        .and_then(|f| f.as_ref())
                        .and_then(|file| group_of(file, &obj.group.name));
                    compare(
                        &mut f,
                        &format!("Loki rules {}", path.display()),
                        &group_yaml(&obj.group),
                        got.as_deref(),
                    );
                }
            }
            self.sanity_check(handle, stored, &mut f).await;
            check
                .rules
                .push((stored.row.id, stored.row.name.clone(), f));
        }
        for stem in rule_files(&s.rules_dir)? {
            if !owned.contains(&stem) {
                let path = std::path::Path::new(&s.rules_dir).join(format!("{stem}.yml"));
                check.orphans.push(OrphanFound {
                    kind: KIND_RULE_FILE,
                    namespace: String::new(),
                    name: stem,
                    content: redact_tokens(&standalone::read_optional(&path)?.unwrap_or_default()),
                });
            }
        }
        // Every `alert_<namespace>.yml` in the Loki rules directory is Gemscope's; a group in one
        // that no logging rule owns is an orphan.
        for stem in rule_files(&s.loki_rules_dir)? {
            let Some(ns) = stem.strip_prefix("alert_") else {
                continue;
            };
            let file = match loki_files.remove(ns) {
                Some(file) => file,
                None => read_rule_file(&loki_file(s, ns)?)?,
            };
            if let Some(file) = file {
                loki_orphans(ns, &file, &owned_groups, check);
            }
        }
        Ok(())
    }
}
