//! The queue: each row to one replica, on every database.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_hands_each_row_to_one_replica_on_every_database() {
    use server::jobs::queue::{self, RunOutcome, Taken};
    for backend in common::backends() {
        let app = TestApp::start(backend).await;
        let db = &app.db;
        let job = JobKind::AlertConfigCheck;
        // Every replica enqueues the same tick: one row.
        for _ in 0..3 {
            queue::enqueue_tick(db, job, 1_800_000_000).await.unwrap();
        }
        assert_eq!(runs(&app).await.len(), 1, "{backend}");

        // Four replicas look at once: one takes it.
        let claims = futures_util::future::join_all(
            ["a", "b", "c", "d"].map(|o| queue::claim(db, o, 60_000, 3)),
        )
        .await;
        let taken: Vec<_> = claims
            .into_iter()
            .filter_map(|c| match c.unwrap() {
                Some(Taken::Run(r)) => Some(r),
                _ => None,
            })
            .collect();
        assert_eq!(taken.len(), 1, "{backend}");
        let (id, owner) = (taken[0].id, taken[0].lease_owner.clone());
        assert_eq!(taken[0].attempts, 1);
        let other = if owner == "a" { "b" } else { "a" };
        assert!(
            !queue::renew(db, id, other, 60_000).await.unwrap(),
            "{backend}"
        );
        assert!(
            queue::renew(db, id, &owner, 60_000).await.unwrap(),
            "{backend}"
        );
        assert!(
            queue::claim(db, other, 60_000, 3).await.unwrap().is_none(),
            "{backend}: held"
        );

        // The holder stops renewing: another replica takes the run over, and the first one's
        // result no longer counts.
        expire(&app, id).await;
        let Some(Taken::Run(r)) = queue::claim(db, other, 60_000, 3).await.unwrap() else {
            panic!("{backend}: a passed lease is taken over");
        };
        assert_eq!((r.attempts, r.lease_owner.as_str()), (2, other));
        let done = RunOutcome::Ok(RunCounts::default());
        assert!(
            !queue::finish(db, id, &owner, &done).await.unwrap(),
            "{backend}"
        );

        // A failure with attempts left waits for its retry time.
        let retry = RunOutcome::Failed {
            error: "cluster down".into(),
            retry_at: Some(queue::now_ms() + 60_000),
        };
        assert!(
            queue::finish(db, id, other, &retry).await.unwrap(),
            "{backend}"
        );
        let r = row(&app, id).await;
        assert_eq!(
            (r.status.as_str(), r.error.as_deref()),
            ("queued", Some("cluster down"))
        );
        assert!(
            queue::claim(db, "c", 60_000, 3).await.unwrap().is_none(),
            "{backend}: not yet"
        );
        expire(&app, id).await;
        assert!(matches!(
            queue::claim(db, "c", 60_000, 3).await.unwrap(),
            Some(Taken::Run(r)) if r.attempts == 3
        ));
        // Its last attempt's replica dies too: the run is given up, not taken a fourth time.
        expire(&app, id).await;
        assert!(matches!(
            queue::claim(db, "d", 60_000, 3).await.unwrap(),
            Some(Taken::GaveUp(_))
        ));
        let r = row(&app, id).await;
        assert_eq!(r.status, "failed", "{backend}");
        assert!(r.error.unwrap().contains("stopped 3 times"));

        // "Run now": one waiting at a time; a stopping replica hands its runs back.
        let manual = queue::enqueue_manual(db, job, 1).await.unwrap();
        assert_eq!(
            queue::pending(db, job).await.unwrap().map(|p| p.id),
            Some(manual.id)
        );
        assert!(queue::claim(db, "e", 60_000, 3).await.unwrap().is_some());
        assert_eq!(queue::release(db, "e").await.unwrap(), 1, "{backend}");
        assert!(matches!(
            queue::claim(db, "f", 60_000, 3).await.unwrap(),
            Some(Taken::Run(r)) if r.id == manual.id && r.attempts == 2
        ));
        app.cleanup().await;
    }
}
