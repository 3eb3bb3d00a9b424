//! Everything a request handler needs, built once at start-up.

use std::sync::Arc;

use app::api::context::Services;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;

use crate::account::AccountService;
use crate::audit::AuditService;
use crate::auth::ratelimit::LoginLimiter;
use crate::auth::secrets::SecretBox;
use crate::clusters::service::ClustersService;
use crate::config::Config;
use crate::telemetry::Metrics;
use crate::tenancy::TenancyService;
use crate::users::UsersService;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub services: Services,
    pub leptos: LeptosOptions,
    pub metrics: Arc<Metrics>,
    pub notifier: Arc<crate::channels::deliver::Notifier>,
    pub alert_centre: Arc<crate::alerts::AlertCentreService>,
    pub jobs: Arc<crate::jobs::JobsService>,
    pub trusted_proxies: Arc<crate::auth::client_addr::TrustedProxies>,
    pub query_quota: Arc<app::api::quota::QueryQuota>,
    pub streams: Arc<crate::auth::streams::StreamSlots>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> Self {
        s.leptos.clone()
    }
}

impl AppState {
    /// Wires the services over a connected, migrated database.
    pub fn new(
        db: DatabaseConnection,
        config: Config,
        limiter: LoginLimiter,
    ) -> anyhow::Result<Self> {
        Self::with_connector(
            db,
            config,
            limiter,
            Arc::new(crate::clusters::backend::Connector),
        )
    }

    /// Like `new`, with the clusters' backends built by `connector`.
    pub fn with_connector(
        db: DatabaseConnection,
        config: Config,
        limiter: LoginLimiter,
        connector: Arc<dyn crate::clusters::backend::Connect>,
    ) -> anyhow::Result<Self> {
        let secrets = Arc::new(SecretBox::load(
            config.secret_key.as_deref(),
            &config.data_dir,
        )?);
        let audit = Arc::new(AuditService { db: db.clone() });
        let http = crate::observe::http_client()?;
        let notifier = Arc::new(notifier(&db, &config, secrets.clone())?);
        let clusters = Arc::new(ClustersService {
            db: db.clone(),
            secrets: secrets.clone(),
            http: http.clone(),
            connector,
        });
        let templates = Arc::new(crate::templates::TemplatesService { db: db.clone() });
        let alert_rules = Arc::new(crate::alert_rules::AlertRulesService::new(
            db.clone(),
            clusters.clone(),
            notifier.clone(),
            secrets,
            templates.clone(),
            http.clone(),
            config.public_url.clone(),
        ));
        let alert_centre = Arc::new(crate::alerts::AlertCentreService::new(
            db.clone(),
            alert_rules.clone(),
        ));
        let app_metrics = Arc::new(Metrics::default());
        let jobs = Arc::new(crate::jobs::JobsService::new(
            db.clone(),
            alert_rules.clone(),
            crate::jobs::JobsConfig::from_config(&config),
            app_metrics.clone(),
        ));
        let metrics = Arc::new(crate::metrics::MetricsService {
            db: db.clone(),
            clusters: clusters.clone(),
            http,
        });
        let services = Services {
            account: Arc::new(AccountService {
                db: db.clone(),
                limiter: Arc::new(limiter),
                audit: audit.clone(),
                session_ttl_secs: i64::try_from(config.session_ttl_hours.saturating_mul(3600))
                    .unwrap_or(i64::MAX),
                secure_cookies: config.secure_cookies(),
            }),
            tenancy: Arc::new(TenancyService {
                db: db.clone(),
                clusters: clusters.clone(),
                silences: alert_rules.silences.clone(),
                reserved: crate::tenancy::guards::reserved_list(
                    &config.reserved_namespaces,
                    config
                        .in_cluster
                        .then(crate::tenancy::guards::own_namespace)
                        .flatten(),
                ),
            }),
            clusters: clusters.clone(),
            users: Arc::new(UsersService { db: db.clone() }),
            audit,
            templates,
            metrics: metrics.clone(),
            dashboards: Arc::new(crate::dashboards::DashboardsService {
                db: db.clone(),
                metrics: metrics.clone(),
            }),
            channels: Arc::new(crate::channels::service::ChannelsService {
                db: db.clone(),
                notifier: notifier.clone(),
                rules: alert_rules.writing.clone(),
            }),
            collectors: Arc::new(crate::collectors::CollectorsService {
                db: db.clone(),
                clusters: clusters.clone(),
                metrics,
            }),
            alert_rules,
            alert_centre: alert_centre.clone(),
            jobs: jobs.clone(),
        };
        let leptos = LeptosOptions::builder()
            .output_name("gemscope")
            .site_root(config.site_root.to_string_lossy().to_string())
            .site_pkg_dir("pkg")
            .env(leptos::config::Env::PROD)
            .build();
        let trusted_proxies = Arc::new(crate::auth::client_addr::TrustedProxies::parse(
            &config.trusted_proxies,
        )?);
        Ok(AppState {
            query_quota: Arc::new(app::api::quota::QueryQuota::new(
                config.query_rate_per_minute,
            )),
            streams: Arc::new(crate::auth::streams::StreamSlots::new(5)),
            trusted_proxies,
            db,
            config: Arc::new(config),
            services,
            leptos,
            metrics: app_metrics,
            notifier,
            alert_centre,
            jobs,
        })
    }
}

/// The delivery side of notifications, from the configuration.
fn notifier(
    db: &DatabaseConnection,
    config: &Config,
    secrets: Arc<SecretBox>,
) -> anyhow::Result<crate::channels::deliver::Notifier> {
    use crate::channels::{message::Messages, public_client, vendors};
    let entries: Vec<String> = config.notify_allow.split(',').map(str::to_string).collect();
    let allow = public_client::AllowList::parse(&entries)?;
    let mut aliyun = vendors::AliyunEndpoints::default();
    if let Some(e) = &config.aliyun_sms_endpoint {
        aliyun.sms = e.clone();
    }
    if let Some(e) = &config.aliyun_voice_endpoint {
        aliyun.voice = e.clone();
    }
    Ok(crate::channels::deliver::Notifier {
        db: db.clone(),
        secrets,
        vendors: vendors::Vendors {
            client: public_client::PublicOnlyClient::new(
                allow,
                std::time::Duration::from_secs(10),
            )?,
            messages: Messages::new()?,
            aliyun,
        },
        backoff: vec![
            std::time::Duration::from_secs(1),
            std::time::Duration::from_secs(3),
        ],
    })
}
