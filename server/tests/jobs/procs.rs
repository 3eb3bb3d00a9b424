//! Replicas as real processes, and the job_runs rows they leave.

use super::*;

/// A Gemscope process on `url`, running jobs with the given settings.
pub(crate) fn replica(url: &str, dir: &std::path::Path, name: &str, env: &[(&str, &str)]) -> Child {
    let log = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gemscope"));
    cmd.arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GEMSCOPE_DATABASE_URL", url)
        .env("GEMSCOPE_DATA_DIR", dir)
        .env("GEMSCOPE_SITE_ROOT", dir)
        .env("GEMSCOPE_LISTEN", "127.0.0.1:0")
        .env("GEMSCOPE_ADMIN_PASSWORD", ADMIN_PW)
        .env("GEMSCOPE_LOG", "info")
        .env("GEMSCOPE_JOB_STATE_SYNC", "")
        .env("GEMSCOPE_JOB_CONFIG_CHECK", "")
        .env("GEMSCOPE_JOB_SYSTEM_RULES", "")
        .env("GEMSCOPE_JOB_HISTORY_ARCHIVE", "")
        .env("GEMSCOPE_JOB_LEASE_SECS", "3")
        .env("HOSTNAME", name);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap()
}

pub(crate) fn terminate(child: &Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
}

/// Waits for a process to exit; returns how long it took.
pub(crate) fn reap(child: &mut Child, secs: u64) -> Duration {
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(secs),
            "process did not exit"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub(crate) async fn runs(app: &TestApp) -> Vec<job_run::Model> {
    job_run::Entity::find().all(&app.db).await.unwrap()
}

pub(crate) async fn row(app: &TestApp, id: i64) -> job_run::Model {
    job_run::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

pub(crate) async fn expire(app: &TestApp, id: i64) {
    job_run::Entity::update_many()
        .col_expr(
            job_run::Column::LeaseUntil,
            sea_orm::sea_query::Expr::value(0i64),
        )
        .col_expr(
            job_run::Column::NotBefore,
            sea_orm::sea_query::Expr::value(0i64),
        )
        .filter(job_run::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .unwrap();
}
