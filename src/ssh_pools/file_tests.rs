use super::*;

const P: &str = "/home/u/.sky/ssh_node_pools.yaml";

fn no_alias(_: &str) -> bool {
    false
}

fn key(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("stix-poolfile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, "key").unwrap();
    p.display().to_string()
}

#[test]
fn strings_dicts_and_pool_defaults() {
    let k1 = key("k1");
    let k2 = key("k2");
    let text = format!(
        "my-box:\n  hosts:\n    - 10.0.0.1\n    - ip: 10.0.0.2\n      user: bob\n      identity_file: {k2}\n      port: 2222\n  user: alice\n  identity_file: {k1}\n  password: secret\n  proxy_jump: jump@bastion\ngpu:\n  hosts: [a.example]\n"
    );
    let f = parse(&text, P, &no_alias).unwrap();
    assert_eq!(f.pools.len(), 2);
    let p = &f.pools[0];
    assert_eq!(p.name, "my-box");
    assert_eq!(p.hosts[0].user, "alice");
    assert_eq!(
        p.hosts[0]
            .identity_file
            .as_ref()
            .unwrap()
            .display()
            .to_string(),
        k1
    );
    assert_eq!(p.hosts[0].port, 22);
    assert_eq!(p.hosts[0].proxy_jump.as_deref(), Some("jump@bastion"));
    assert!(p.hosts[0].has_password);
    assert_eq!(p.hosts[1].user, "bob");
    assert_eq!(
        p.hosts[1]
            .identity_file
            .as_ref()
            .unwrap()
            .display()
            .to_string(),
        k2
    );
    assert_eq!(p.hosts[1].port, 2222);
    assert_eq!(f.pools[1].hosts[0].user, "");
    assert!(f.pools[1].hosts[0].identity_file.is_none());
    assert_eq!(f.select(Some("gpu")).unwrap()[0].name, "gpu");
    assert_eq!(f.select(Some("ssh-gpu")).unwrap()[0].name, "gpu");
    assert_eq!(f.select(None).unwrap().len(), 2);
    assert_eq!(
        f.select(Some("nope")).unwrap_err().message,
        format!("Cluster 'nope' not found in SSH Node Pools file {P}")
    );
}

#[test]
fn ssh_config_aliases_drop_user_and_key() {
    let k1 = key("k3");
    let text = format!("p:\n  user: alice\n  identity_file: {k1}\n  hosts: [myalias, 10.1.1.1]\n");
    let f = parse(&text, P, &|h: &str| h == "myalias").unwrap();
    let h = &f.pools[0].hosts;
    assert!(h[0].use_ssh_config);
    assert_eq!(h[0].user, "");
    assert!(h[0].identity_file.is_none());
    assert!(!h[1].use_ssh_config);
    assert_eq!(h[1].user, "alice");
}

#[test]
fn errors_name_file_pool_and_host() {
    let err = |t: &str| parse(t, P, &no_alias).unwrap_err().message;
    assert_eq!(
        err(""),
        format!("No clusters defined in SSH Node Pools file {P}")
    );
    assert_eq!(
        err("p:\n  user: x\n"),
        format!("No hosts defined in cluster p configuration ({P})")
    );
    assert_eq!(
        err("p:\n  hosts: []\n"),
        format!("No hosts defined in cluster p configuration ({P})")
    );
    assert!(err("p:\n  hosts: 10.0.0.1\n").contains("`hosts` of pool \"p\""));
    assert!(err("- a\n- b\n").contains("must map pool names"));
    assert!(err("p:\n  hosts: [[1]]\n").contains("Host 1 of pool \"p\""));
    let e = err("p:\n  hosts:\n    - ip: 10.0.0.9\n      identity_file: /nonexistent/key\n");
    assert!(
        e.starts_with("SSH Identity File Missing: /nonexistent/key"),
        "{e}"
    );
    assert!(e.contains("host \"10.0.0.9\" of pool \"p\""), "{e}");
    assert!(err("p:\n  hosts: [a, a]\n").contains("listed twice"));
    assert!(err("p:\n  hosts: [a]\np:\n  hosts: [b]\n").starts_with("Duplicate key found: 'p'."));
    assert!(err("p:\n  port: 70000\n  hosts: [a]\n").contains("`port` of pool \"p\""));
    assert!(err("p: [\n").starts_with("Error loading SSH Node Pools file:"));
}

#[test]
fn host_without_ip_is_skipped_with_a_warning() {
    let f = parse(
        "p:\n  hosts:\n    - user: x\n    - 10.0.0.1\n",
        P,
        &no_alias,
    )
    .unwrap();
    assert_eq!(f.pools[0].hosts.len(), 1);
    assert_eq!(f.warnings.len(), 1);
    let e = parse("p:\n  hosts:\n    - user: x\n", P, &no_alias).unwrap_err();
    assert!(e.message.starts_with("No hosts defined in cluster p"));
}

#[test]
fn missing_file_and_names() {
    let p = std::path::Path::new("/nonexistent/pools.yaml");
    assert_eq!(
        load(p, &no_alias).unwrap_err().message,
        "SSH Node Pools file not found: /nonexistent/pools.yaml"
    );
    assert!(pool_names(p).is_empty());
}
