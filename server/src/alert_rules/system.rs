//! The system alert rule set's part in one cluster (inventory §5.6): where it lives, and one rule
//! of it installed: created when missing, written again when its last sync or check was not ok,
//! a healthy one left alone. The job (jobs/system_rules.rs) builds the set and walks the clusters.

use app::error::{ApiError, Code};
use app::model::{AlertRuleInput, Component};

use super::drift::ERROR;
use super::store::{self, SYNC_ERROR};
use super::{RulePlace, RuleWriting};

impl RuleWriting {
    /// Where a cluster's system rules live: its monitoring namespace, when Prometheus and
    /// Alertmanager are configured (`None` otherwise: nothing to install).
    pub async fn system_place(&self, cluster_id: i64) -> Result<Option<RulePlace>, ApiError> {
        let handle = self.clusters.handle(cluster_id).await?;
        if handle.component(Component::Prometheus).is_err()
            || handle.component(Component::Alertmanager).is_err()
        {
            return Ok(None);
        }
        Ok(Some(RulePlace {
            namespace: handle.settings.monitoring_ns().to_string(),
            handle,
            global: true,
            environment_id: None,
            tenant_id: None,
        }))
    }

    /// Installs one rule of the set at `place`. Returns whether it wrote anything.
    pub async fn install_system_rule(
        &self,
        place: &RulePlace,
        mut input: AlertRuleInput,
    ) -> Result<bool, ApiError> {
        app::domain::alert_rules::substitute_namespace(&mut input, &place.namespace);
        let existing = store::one(&self.db, place.handle.id, &place.namespace, &input.name).await?;
        match existing {
            None => self.create_rule(place, input).await.map(|_| true),
            // Only a system administrator can bind the monitoring namespace to an environment;
            // a rule of that environment must not pass for the system rule.
            Some(s) if s.row.environment_id.is_some() => {
                Err(ApiError::conflict("name", Code::SystemRuleNameTaken))
            }
            Some(s) if s.row.sync_status == SYNC_ERROR || s.row.check_status == ERROR => {
                // Kept as the operator set it: whether the rule is on.
                input.is_open = s.row.is_open;
                let name = input.name.clone();
                self.update_rule(place, &name, input).await.map(|_| true)
            }
            Some(_) => Ok(false),
        }
    }
}
