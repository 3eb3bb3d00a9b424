//! Rule state as the lists and the state sync job see it: each rule's state from the rules APIs
//! of its cluster (Prometheus, the Loki ruler; parsed in state.rs), and the job's refresh of the
//! stored state of one cluster's rules (inventory §5.4). A cluster that cannot be asked marks its
//! rules unknown with the reason; it never writes inactive.

use std::time::Duration;

use app::error::ApiError;
use app::model::{AlertType, Component, RuleState};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait};

use super::store::{self, Stored};
use super::{RuleStates, state};
use crate::db::entities::alert_rule;
use crate::db::now;
use crate::observe::loki::Loki;
use crate::observe::prometheus::Prometheus;

/// What refreshing one cluster's rule states did.
#[derive(Debug, Default)]
pub struct StateRefresh {
    /// Rules of the cluster.
    pub checked: u64,
    /// Rows whose state or reason changed.
    pub changed: u64,
    /// Rules APIs that could not be asked, and rows that could not be written.
    pub errors: Vec<String>,
}

impl RuleStates {
    /// The state of each rule from the rules APIs this cluster has, the types whose API could
    /// not be asked (their rules are then unknown), and why.
    pub async fn states(
        &self,
        handle: &crate::clusters::service::ClusterHandle,
        rules: &[Stored],
    ) -> (state::States, Vec<AlertType>, String) {
        let mut all = state::States::new();
        let mut failed = Vec::new();
        let mut errors = Vec::new();
        for (kind, component) in [
            (AlertType::Monitor, Component::Prometheus),
            (AlertType::Logging, Component::Loki),
        ] {
            if !rules.iter().any(|s| s.kind() == kind) {
                continue;
            }
            let result = match handle.component(component) {
                Ok(e) if kind == AlertType::Logging => Loki::new(e, self.http.clone())
                    .rules()
                    .await
                    .map(|v| state::parse(&v["data"]))
                    .map_err(|e| e.to_string()),
                Ok(e) => Prometheus::new(e, self.http.clone())
                    .rules(Some("alert"))
                    .await
                    .map(|data| state::parse(&data))
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.message),
            };
            match result {
                Ok(s) => all.extend(s),
                Err(e) => {
                    failed.push(kind);
                    errors.push(format!("{component}: {e}"));
                }
            }
        }
        (all, failed, errors.join("; "))
    }

    pub fn state_of(
        states: &state::States,
        failed: &[AlertType],
        s: &Stored,
    ) -> (RuleState, Vec<app::model::LiveAlert>) {
        let key = (s.row.namespace.clone(), s.row.name.clone());
        match states.get(&key) {
            Some((st, alerts)) => (*st, alerts.clone()),
            // A rule the API does not list is inactive only when that API answered.
            None if failed.contains(&s.kind()) => (RuleState::Unknown, Vec::new()),
            None => (RuleState::Inactive, Vec::new()),
        }
    }

    /// Asks the cluster's rules APIs (within `timeout`) and stores each rule's state where it
    /// changed.
    pub async fn refresh_cluster(
        &self,
        cluster_id: i64,
        timeout: Duration,
    ) -> Result<StateRefresh, ApiError> {
        let handle = self.clusters.handle(cluster_id).await?;
        let cond = Condition::all().add(alert_rule::Column::ClusterId.eq(cluster_id));
        let stored = store::load(&self.db, cond).await?;
        let mut out = StateRefresh {
            checked: stored.len() as u64,
            ..Default::default()
        };
        if stored.is_empty() {
            return Ok(out);
        }
        let (states, failed, error) =
            match tokio::time::timeout(timeout, self.states(&handle, &stored)).await {
                Ok(r) => r,
                Err(_) => (
                    Default::default(),
                    vec![AlertType::Monitor, AlertType::Logging],
                    format!("no answer within {} s", timeout.as_secs()),
                ),
            };
        let why = (!error.is_empty()).then(|| format!("{}: {error}", handle.name));
        if let Some(e) = &why {
            out.errors.push(e.clone());
        }
        let t = now();
        for s in &stored {
            let (state, _) = Self::state_of(&states, &failed, s);
            let reason = failed
                .contains(&s.kind())
                .then(|| why.clone().unwrap_or_default());
            let state = state.as_str();
            if s.row.state == state && s.row.state_error == reason {
                continue;
            }
            let update = alert_rule::ActiveModel {
                id: Set(s.row.id),
                state: Set(state.to_string()),
                state_error: Set(reason),
                state_at: Set(t),
                ..Default::default()
            };
            match alert_rule::Entity::update(update).exec(&self.db).await {
                Ok(_) => out.changed += 1,
                // The rule was deleted meanwhile.
                Err(sea_orm::DbErr::RecordNotUpdated) => {}
                Err(e) => out
                    .errors
                    .push(format!("{}: rule {}: {e}", handle.name, s.row.id)),
            }
        }
        Ok(out)
    }
}
