//! The alert centre behind `app::api::alerts`: rule history, search, overview, message centre,
//! and retention. Ingestion is `notify::history` (the webhook receiver).

pub mod archive;
pub mod days;
pub mod overview;
pub mod query;

use std::sync::Arc;

use app::api::alerts::AlertCentrePort;
use app::api::context::Caller;
use app::domain::alert_centre::{check_status, paging, parse_search};
use app::error::{ApiError, Code};
use app::model::{
    EpisodeFilter, EpisodePage, HistoryPage, HistorySearch, Inbox, InboxItem, Overview,
    OverviewQuery, Role, RuleScope,
};
use sea_orm::sea_query::{Cond, Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::alert_rules::AlertRulesService;
use crate::auth::authz::{environment_as, require_system_admin, require_tenant};
use crate::db::entities::{alert_instance as i, alert_notification as n, inbox_item};
use crate::db::now;

pub struct AlertCentreService {
    pub db: DatabaseConnection,
    pub rules: Arc<AlertRulesService>,
    /// Pinged after every stored webhook, so open message centres recount at once.
    pub events: tokio::sync::broadcast::Sender<()>,
}

impl AlertCentreService {
    pub fn new(db: DatabaseConnection, rules: Arc<AlertRulesService>) -> Self {
        AlertCentreService {
            db,
            rules,
            events: tokio::sync::broadcast::channel(16).0,
        }
    }

    pub fn changed(&self) {
        // No receiver means no open page: nothing to tell.
        let _ = self.events.send(());
    }

    /// Who may read history of `tenant`: its members; everything (`None`): system admins.
    async fn require_reader(&self, caller: &Caller, tenant: Option<i64>) -> Result<(), ApiError> {
        match tenant {
            Some(t) => require_tenant(&self.db, caller, t, Role::Viewer)
                .await
                .map(|_| ()),
            None => require_system_admin(caller)
                .map_err(|_| ApiError::invalid("tenant_id", Code::ChooseTenant)),
        }
    }

    /// The instances of a scope: an environment's namespace, or for system scope the alerts
    /// no environment owns.
    async fn scope_cond(&self, caller: &Caller, scope: RuleScope) -> Result<Cond, ApiError> {
        let place = self.rules.place(caller, scope, Role::Viewer).await?;
        let mut c =
            Cond::all().add(Expr::col((i::Entity, i::Column::ClusterId)).eq(place.handle.id));
        c = if place.global {
            c.add(Expr::col((i::Entity, i::Column::EnvironmentId)).is_null())
        } else {
            c.add(Expr::col((i::Entity, i::Column::Namespace)).eq(place.namespace))
        };
        Ok(c)
    }

    pub async fn unread_of(&self, user_id: i64) -> Result<u64, ApiError> {
        inbox_item::Entity::find()
            .filter(inbox_item::Column::UserId.eq(user_id))
            .filter(inbox_item::Column::IsRead.eq(false))
            .count(&self.db)
            .await
            .map_err(ApiError::from)
    }
}

#[async_trait::async_trait]
impl AlertCentrePort for AlertCentreService {
    async fn episodes(
        &self,
        caller: &Caller,
        scope: RuleScope,
        rule: String,
        filter: EpisodeFilter,
    ) -> Result<EpisodePage, ApiError> {
        check_status("status", &filter.status)?;
        let cond = self
            .scope_cond(caller, scope)
            .await?
            .add(Expr::col((i::Entity, i::Column::AlertName)).eq(rule));
        let (page, _) = paging(filter.page, 0);
        let (episodes, has_more) = query::episodes(
            &self.db,
            cond,
            &filter.status,
            query::received_within(filter.from, filter.to),
            page,
        )
        .await?;
        Ok(EpisodePage {
            episodes,
            page,
            has_more,
        })
    }

    async fn notifications(
        &self,
        caller: &Caller,
        scope: RuleScope,
        instance_id: i64,
        starts_at: i64,
        page: u64,
    ) -> Result<HistoryPage, ApiError> {
        let mut q = query::joined();
        q.cond_where(self.scope_cond(caller, scope).await?)
            .and_where(Expr::col((n::Entity, n::Column::InstanceId)).eq(instance_id))
            .and_where(Expr::col((n::Entity, n::Column::StartsAt)).eq(starts_at));
        let (rows, has_more) = query::page(&self.db, q, page, 100).await?;
        Ok(HistoryPage {
            rows,
            page: app::domain::alert_centre::paging(page, 100).0,
            has_more,
        })
    }

    async fn search(&self, caller: &Caller, mut s: HistorySearch) -> Result<HistoryPage, ApiError> {
        // A link to one environment's history need not name its tenant.
        if let (None, Some(e)) = (s.tenant_id, s.environment_id) {
            s.tenant_id = Some(
                environment_as(&self.db, caller, e, Role::Viewer)
                    .await?
                    .tenant_id,
            );
        }
        self.require_reader(caller, s.tenant_id).await?;
        check_status("status", &s.status)?;
        let text = parse_search(&s.text)?;
        let mut q = query::joined();
        let ncol = |c: n::Column| Expr::col((n::Entity, c));
        let icol = |c: i::Column| Expr::col((i::Entity, c));
        if let Some(t) = s.tenant_id {
            q.and_where(ncol(n::Column::TenantId).eq(t));
        }
        if let Some(p) = s.project_id {
            q.and_where(ncol(n::Column::ProjectId).eq(p));
        }
        if let Some(e) = s.environment_id {
            q.and_where(icol(i::Column::EnvironmentId).eq(e));
        }
        if let Some(c) = s.cluster_id {
            q.and_where(icol(i::Column::ClusterId).eq(c));
        }
        if !s.namespace.is_empty() {
            q.and_where(icol(i::Column::Namespace).eq(s.namespace.trim()));
        }
        if !s.alert_name.is_empty() {
            q.and_where(icol(i::Column::AlertName).like(query::contains(s.alert_name.trim())));
        }
        if !s.status.is_empty() {
            q.and_where(ncol(n::Column::Status).eq(s.status.as_str()));
        }
        q.cond_where(query::received_within(s.from, s.to))
            .cond_where(query::text_filter(&text));
        let (page, size) = paging(s.page, s.page_size);
        let (rows, has_more) = query::page(&self.db, q, page, size).await?;
        Ok(HistoryPage {
            rows,
            page,
            has_more,
        })
    }

    async fn overview(&self, caller: &Caller, q: OverviewQuery) -> Result<Overview, ApiError> {
        self.require_reader(caller, q.tenant_id).await?;
        overview::overview(&self.db, q.tenant_id, &q, now()).await
    }

    async fn inbox(
        &self,
        caller: &Caller,
        unread_only: bool,
        page: u64,
    ) -> Result<Inbox, ApiError> {
        let (page, size) = paging(page, 30);
        let mut find =
            inbox_item::Entity::find().filter(inbox_item::Column::UserId.eq(caller.user_id));
        if unread_only {
            find = find.filter(inbox_item::Column::IsRead.eq(false));
        }
        let mut items = find
            .order_by_desc(inbox_item::Column::Id)
            .limit(size + 1)
            .offset((page - 1) * size)
            .all(&self.db)
            .await?;
        let has_more = items.len() as u64 > size;
        items.truncate(size as usize);
        let mut q = query::joined();
        q.and_where(
            Expr::col((n::Entity, n::Column::Id)).is_in(items.iter().map(|i| i.notification_id)),
        );
        let (rows, _) = query::page(&self.db, q, 1, size).await?;
        let items = items
            .into_iter()
            .filter_map(|it| {
                let alert = rows.iter().find(|r| r.id == it.notification_id)?.clone();
                Some(InboxItem {
                    id: it.id,
                    read: it.is_read,
                    created_at: it.created_at,
                    alert,
                })
            })
            .collect();
        Ok(Inbox {
            items,
            unread: self.unread_of(caller.user_id).await?,
            page,
            has_more,
        })
    }

    async fn unread(&self, caller: &Caller) -> Result<u64, ApiError> {
        self.unread_of(caller.user_id).await
    }

    async fn mark_read(&self, caller: &Caller, ids: Vec<i64>) -> Result<u64, ApiError> {
        if ids.len() > 1000 {
            return Err(ApiError::invalid("ids", Code::TooManyIds).arg(1000));
        }
        let mut update = inbox_item::Entity::update_many()
            .col_expr(inbox_item::Column::IsRead, Expr::value(true))
            // Only the caller's own items, whatever ids were sent.
            .filter(inbox_item::Column::UserId.eq(caller.user_id))
            .filter(inbox_item::Column::IsRead.eq(false));
        if !ids.is_empty() {
            update = update.filter(inbox_item::Column::Id.is_in(ids));
        }
        let done = update.exec(&self.db).await?;
        self.changed();
        Ok(done.rows_affected)
    }
}
