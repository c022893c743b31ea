//! The request journal: a request runs on its own thread, its outcome is
//! read back from the state DB, cancel wins over a late result.

mod common;

use common::World;
use stix::error::{Error, ErrorKind};
use stix::requests::{self, RequestStatus};

#[test]
fn requests_are_journaled_and_waited_for() {
    let _w = World::new("requests");
    let ok = requests::submit("sky.status", None, serde_json::json!({}), |_| {
        Ok(serde_json::json!([1, 2]))
    })
    .unwrap();
    assert_eq!(requests::wait(&ok).unwrap(), serde_json::json!([1, 2]));
    let r = requests::get(&ok[..8]).unwrap();
    assert_eq!(
        (r.name.as_str(), r.status),
        ("sky.status", RequestStatus::Succeeded)
    );
    assert!(r.finished_at.unwrap() >= r.created_at);

    let bad = requests::submit("sky.exec", Some("c"), serde_json::json!({}), |_| {
        Err(Error::new(
            ErrorKind::ClusterDoesNotExist,
            "Cluster 'c' does not exist.",
        ))
    })
    .unwrap();
    let e = requests::wait(&bad).unwrap_err();
    assert_eq!(e.kind, ErrorKind::ClusterDoesNotExist);
    assert_eq!(e.message, "Cluster 'c' does not exist.");

    // A failed launch keeps its failover history through the journal.
    let history = vec![Error::new(ErrorKind::ResourcesUnavailable, "zone a")];
    let h = history.clone();
    let failed = requests::submit("sky.launch", Some("c"), serde_json::json!({}), move |_| {
        Err(Error::new(ErrorKind::ResourcesUnavailable, "all failed").with_failover_history(h))
    })
    .unwrap();
    let e = requests::wait(&failed).unwrap_err();
    assert_eq!(
        (e.message.as_str(), e.failover_history),
        ("all failed", history)
    );

    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let slow = requests::submit("sky.launch", Some("c"), serde_json::json!({}), move |_| {
        let _ = rx.recv();
        Ok(serde_json::json!(1))
    })
    .unwrap();
    let live = requests::list(false, None).unwrap();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].request_id, slow);
    assert_eq!(requests::cancel(None).unwrap(), vec![slow.clone()]);
    // The worker may never have started it (cancelled while PENDING).
    let _ = tx.send(());
    assert!(requests::wait(&slow).is_err());
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert_eq!(
        requests::get(&slow).unwrap().status,
        RequestStatus::Cancelled
    );
    assert_eq!(requests::list(true, None).unwrap().len(), 4);
    assert!(requests::get("zzzz").is_err());
}
