//! What a rule becomes in its cluster: the generator's template resolved for the owner, the
//! receivers routed through Gemscope, and the objects of a whole cluster for the files and keys
//! that hold several rules.

use super::*;
use app::error::Code;

impl RulesCore {
    /// The generator's template as the owner's tenant sees it.
    pub async fn template(
        &self,
        place: &RulePlace,
        input: &AlertRuleInput,
    ) -> Result<Option<TemplateRule>, ApiError> {
        let Some(g) = input
            .promql_generator
            .as_ref()
            .filter(|_| input.alert_type == AlertType::Monitor)
        else {
            return Ok(None);
        };
        match crate::templates::resolve(&self.db, place.tenant_id, &g.key).await {
            Ok(t) => Ok(Some(t.rule)),
            Err(e) if e.field.is_some() => Err(e.on("promqlGenerator")),
            Err(e) => Err(e),
        }
    }

    /// The receivers of a rule in this cluster: each channel's webhook to Gemscope's notify
    /// endpoint, then the history receiver. Channels must exist and belong to the owner's tenant
    /// or the system.
    pub(super) async fn routes<C: ConnectionTrait>(
        &self,
        db: &C,
        handle: &ClusterHandle,
        tenant_id: Option<i64>,
        namespace: &str,
        input: &AlertRuleInput,
    ) -> Result<Vec<domain::RouteTo>, ApiError> {
        let base = handle
            .settings
            .notify_base(self.public_url.as_deref())
            .ok_or_else(|| {
                ApiError::new(http::StatusCode::CONFLICT, Code::NoGemscopeUrl).arg(&handle.name)
            })?;
        let ids: Vec<i64> = input.receivers.iter().map(|r| r.channel_id).collect();
        let rows = store::channels(db, ids).await?;
        let mut receivers: Vec<(AmReceiver, String)> = Vec::new();
        for r in &input.receivers {
            let row = rows
                .get(&r.channel_id)
                .filter(|c| c.tenant_id.is_none() || c.tenant_id == tenant_id)
                .ok_or_else(|| {
                    ApiError::invalid("receivers", Code::ChannelMissing).arg(r.channel_id)
                })?;
            receivers.push((self.notifier.receiver(&base, row), r.interval.trim().into()));
        }
        let history = crate::channels::history::receiver(
            &self.secrets,
            &base,
            crate::channels::history::HistoryTarget {
                cluster_id: handle.id,
                namespace,
                version: handle.history_token_version,
            },
        );
        Ok(routes_to(&receivers, history))
    }

    pub(super) async fn object<C: ConnectionTrait>(
        &self,
        db: &C,
        handle: &ClusterHandle,
        tenant_id: Option<i64>,
        target: &Target<'_>,
        input: &AlertRuleInput,
        rendered: &Rendered,
    ) -> Result<RuleObject, ApiError> {
        let routes = self
            .routes(db, handle, tenant_id, target.namespace, input)
            .await?;
        Ok(RuleObject {
            namespace: target.namespace.to_string(),
            name: input.name.clone(),
            kind: input.alert_type,
            group: rendered.group.clone(),
            am: alertmanager_config(
                target,
                &input.name,
                &input.inhibit_labels,
                &routes,
                &Grouping::of(&handle.settings),
            ),
        })
    }

    /// Every rule of the cluster as stored, rendered for writing (the files and ConfigMap keys
    /// that hold several rules are rendered from this).
    pub(super) async fn cluster_objects<C: ConnectionTrait>(
        &self,
        db: &C,
        handle: &ClusterHandle,
    ) -> Result<Vec<RuleObject>, ApiError> {
        let all = store::load(
            db,
            Condition::all().add(alert_rule::Column::ClusterId.eq(handle.id)),
        )
        .await?;
        let mut out = Vec::with_capacity(all.len());
        for s in &all {
            let input = s.input();
            let target = s.target();
            let rendered = domain::from_stored(&input, &target).map_err(|e| {
                tracing::error!(rule = %s.row.name, error = %e.message, "a stored rule does not render");
                ApiError::internal()
            })?;
            out.push(
                self.object(db, handle, s.row.tenant_id, &target, &input, &rendered)
                    .await?,
            );
        }
        Ok(out)
    }

    pub(super) fn needs_all(handle: &ClusterHandle, kinds: &[Option<AlertType>]) -> bool {
        handle.backend.needs_every_rule() || kinds.contains(&Some(AlertType::Logging))
    }
}
