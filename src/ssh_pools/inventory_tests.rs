use super::*;

fn inv(name: &str) -> (Inventory, PathBuf) {
    let dir = std::env::temp_dir().join(format!("stix-inv-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("inventory.db");
    (Inventory::open_at(&path).unwrap(), path)
}

fn host(idx: usize, ip: &str, cpus: f64, mem: f64, gpus: u32) -> HostRecord {
    HostRecord {
        idx,
        internal_ip: ip.into(),
        host: PoolHost {
            ip: ip.into(),
            user: "root".into(),
            identity_file: None,
            port: 22,
            proxy_jump: None,
            use_ssh_config: false,
            has_password: false,
        },
        resources: NodeResources {
            cpus,
            memory_gb: mem,
            accelerator: (gpus > 0).then(|| "H100".to_string()),
            accelerator_count: gpus,
            gpu_indices: Vec::new(),
        },
    }
}

fn want(cpus: f64, mem: f64, gpus: u32) -> Demand {
    Demand {
        cpus,
        memory_gb: mem,
        accelerator: (gpus > 0).then(|| ("H100".to_string(), gpus)),
    }
}

#[test]
fn allocates_distinct_hosts_and_shares_them_between_clusters() {
    let (mut inv, _) = inv("share");
    inv.set_pool(
        "p",
        &[
            host(0, "10.0.0.1", 8.0, 32.0, 2),
            host(1, "10.0.0.2", 8.0, 32.0, 2),
        ],
    )
    .unwrap();
    assert_eq!(inv.pools().unwrap(), vec!["p"]);
    let a = inv.allocate("p", "c1", 2, &want(4.0, 16.0, 1)).unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].host.host.ip, "10.0.0.1");
    assert_eq!(a[1].host.host.ip, "10.0.0.2");
    assert_eq!(a[0].share.gpu_indices, vec![0]);
    // Idempotent: a rerun returns the same booking.
    assert_eq!(inv.allocate("p", "c1", 2, &want(4.0, 16.0, 1)).unwrap(), a);
    // A second cluster shares both hosts with the rest.
    let b = inv.allocate("p", "c2", 2, &want(4.0, 16.0, 1)).unwrap();
    assert_eq!(b[0].share.gpu_indices, vec![1]);
    // Nothing is left for a third; the error says what is free.
    let e = inv.allocate("p", "c3", 1, &want(1.0, 1.0, 0)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::ResourcesUnavailable);
    assert!(e.message.contains("0 of its 2 host(s)"), "{}", e.message);
    assert!(inv.allocations("c3").unwrap().is_empty());
    assert_eq!(inv.clusters_in("p").unwrap(), vec!["c1", "c2"]);
    inv.release("c1").unwrap();
    assert!(inv.allocate("p", "c3", 1, &want(1.0, 1.0, 0)).is_ok());
}

#[test]
fn all_or_nothing_when_too_few_hosts_fit() {
    let (mut inv, _) = inv("none");
    inv.set_pool(
        "p",
        &[
            host(0, "10.0.0.1", 4.0, 16.0, 0),
            host(1, "10.0.0.2", 2.0, 4.0, 0),
        ],
    )
    .unwrap();
    let e = inv.allocate("p", "c", 2, &want(4.0, 8.0, 0)).unwrap_err();
    assert!(e.message.contains("1 of its 2"), "{}", e.message);
    assert!(inv.allocations("c").unwrap().is_empty());
    assert!(inv.allocate("p", "g", 1, &want(1.0, 1.0, 1)).is_err());
}

#[test]
fn concurrent_launches_never_double_book() {
    let (mut inv, path) = inv("race");
    inv.set_pool("p", &[host(0, "10.0.0.1", 4.0, 16.0, 0)])
        .unwrap();
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut inv = Inventory::open_at(&path).unwrap();
                inv.allocate("p", &format!("c{i}"), 1, &want(1.0, 4.0, 0))
                    .is_ok()
            })
        })
        .collect();
    let ok = threads
        .into_iter()
        .map(|t| t.join().unwrap())
        .filter(|b| *b)
        .count();
    assert_eq!(ok, 4);
}
