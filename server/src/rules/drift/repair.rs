//! Repair: a rule written again from the database, an orphan deleted from its cluster.

use super::*;

impl AlertRulesService {
    /// Writes a rule again from the database (server-side apply, or its file). Returns its
    /// `namespace/name` and cluster.
    pub async fn rewrite_rule(&self, id: i64) -> Result<(String, ClusterHandle), ApiError> {
        let s = store::load(
            &self.db,
            Condition::all().add(alert_rule::Column::Id.eq(id)),
        )
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found("alert rule"))?;
        let handle = self.clusters.handle(s.row.cluster_id).await?;
        let place = RulePlace::of_rule(handle.clone(), &s);
        let r = self.resync_one(&place, &s).await;
        self.record_sync(s.row.id, &r).await;
        r?;
        Ok((format!("{}/{}", s.row.namespace, s.row.name), handle))
    }

    /// Writes a rule again, then checks its cluster again so the page shows the result. A rule
    /// whose objects still differ from the database afterwards is a failed repair.
    pub async fn repair_rule(&self, id: i64) -> Result<String, ApiError> {
        let (name, handle) = self.rewrite_rule(id).await?;
        let check = self.recheck(&handle).await?;
        still_drifted(&check, id, &name)?;
        Ok(name)
    }

    /// Checks a cluster again and stores the result.
    pub async fn recheck(&self, handle: &ClusterHandle) -> Result<DriftCheck, ApiError> {
        let check = self.check_cluster(handle).await.map_err(|e| match e {
            CheckError::Rules(e) => e,
            CheckError::Cluster(e) => crate::rules::cluster_error(handle, e),
        })?;
        self.record_check(handle.id, &check).await?;
        Ok(check)
    }

    /// Deletes an orphan from its cluster, unless a rule owns it by now.
    pub async fn remove_orphan(&self, id: i64) -> Result<String, ApiError> {
        let o = rule_orphan::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(internal)?
            .ok_or_else(|| ApiError::not_found("orphan"))?;
        let handle = self.clusters.handle(o.cluster_id).await?;
        let owned = match o.kind.as_str() {
            // A logging rule's group is named after the rule.
            KIND_LOKI_RULES => store::one(&self.db, o.cluster_id, &o.namespace, &o.name)
                .await?
                .is_some_and(|s| s.kind() == AlertType::Logging),
            KIND_RULE_FILE => store::load(
                &self.db,
                Condition::all().add(alert_rule::Column::ClusterId.eq(o.cluster_id)),
            )
            .await?
            .iter()
            .any(|s| objects::standalone_rule_file(&s.row.namespace, &s.row.name) == o.name),
            _ => store::one(&self.db, o.cluster_id, &o.namespace, &o.name)
                .await?
                .is_some(),
        };
        let prepared =
            crate::cluster::prepare::is_prepared(&handle.settings, &o.kind, &o.namespace, &o.name);
        if owned || prepared {
            let why = if prepared {
                "is written by prepare"
            } else {
                "belongs to a rule now"
            };
            return Err(ApiError::new(
                http::StatusCode::CONFLICT,
                format!(
                    "{} {}/{} {why}; run the check again",
                    o.kind, o.namespace, o.name
                ),
            ));
        }
        let _guard = self.lock(o.cluster_id).await;
        delete_object(&handle, &self.http, &o)
            .await
            .map_err(|e| crate::rules::cluster_error(&handle, e))?;
        rule_orphan::Entity::delete_by_id(o.id)
            .exec(&self.db)
            .await
            .map_err(internal)?;
        Ok(format!("{} {}/{}", o.kind, o.namespace, o.name))
    }
}

/// A repaired rule whose check still finds its objects different: the repair did not take.
pub(crate) fn still_drifted(check: &DriftCheck, id: i64, name: &str) -> Result<(), ApiError> {
    match check.rules.iter().find(|(rule, ..)| *rule == id) {
        Some((_, _, f)) if f.status() == ERROR => Err(ApiError::new(
            http::StatusCode::BAD_GATEWAY,
            format!(
                "{name} still differs from the database after the repair: {}",
                f.errors.join("; ")
            ),
        )),
        _ => Ok(()),
    }
}

pub(super) async fn delete_object(
    handle: &ClusterHandle,
    http: &reqwest::Client,
    o: &rule_orphan::Model,
) -> BackendResult<()> {
    match (o.kind.as_str(), &handle.client) {
        (KIND_PROMETHEUS_RULE, Some(c)) => {
            k::delete(
                c,
                &PrometheusRule::api_resource(),
                Some(&o.namespace),
                &o.name,
            )
            .await
        }
        (KIND_AM_CONFIG, Some(c)) => {
            k::delete(
                c,
                &AlertmanagerConfig::api_resource(),
                Some(&o.namespace),
                &o.name,
            )
            .await
        }
        (KIND_LOKI_RULES, Some(c)) => remove_loki_group(handle, c, &o.namespace, &o.name).await,
        (KIND_LOKI_RULES, None) if handle.kind == ClusterKind::Standalone => {
            let stem = objects::standalone_loki_file(&o.namespace);
            let target = RuleTarget {
                dir: &handle.settings.loki_rules_dir,
                name: &stem,
                reload: None,
            };
            let Some(text) = standalone::read_optional(&target.path()?)? else {
                return Ok(());
            };
            match without_group(&text, &o.name)? {
                Some(rest) => standalone::apply_rules(http, &target, &rest).await,
                None => standalone::remove_rules(http, &target).await,
            }
            .map(|_| ())
        }
        (KIND_RULE_FILE, _) => {
            let reload = Some(handle.settings.prometheus_url.as_str()).filter(|u| !u.is_empty());
            standalone::remove_rules(
                http,
                &RuleTarget {
                    dir: &handle.settings.rules_dir,
                    name: &o.name,
                    reload,
                },
            )
            .await
            .map(|_| ())
        }
        (kind, _) => Err(BackendError::Settings(format!(
            "cannot delete a {kind} from this cluster"
        ))),
    }
}

/// Takes one group out of a namespace's key of the Loki rules ConfigMap.
pub(super) async fn remove_loki_group(
    handle: &ClusterHandle,
    client: &kube::Client,
    ns: &str,
    group: &str,
) -> BackendResult<()> {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), handle.settings.logging_ns());
    let Some(cm) = api.get_opt(LOKI_RULES_CONFIGMAP).await? else {
        return Ok(());
    };
    let Some(text) = cm.data.as_ref().and_then(|d| d.get(ns)) else {
        return Ok(());
    };
    let value = match without_group(text, group)? {
        Some(rest) => Value::String(
            serde_norway::to_string(&rest).map_err(|e| BackendError::Render(e.to_string()))?,
        ),
        None => Value::Null,
    };
    api.patch(
        LOKI_RULES_CONFIGMAP,
        &PatchParams {
            field_manager: Some(FIELD_MANAGER.into()),
            ..Default::default()
        },
        &Patch::Merge(&json!({"data": {ns: value}})),
    )
    .await?;
    Ok(())
}
