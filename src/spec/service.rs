//! `service:` and `pool:` sections (`SkyServiceSpec`): validated, defaulted
//! and printed back as SkyPilot does.

use crate::error::{Error, Result};
use crate::spec::resources_yaml::validate_schema;
use crate::spec::schemas;
use crate::yaml::{Map, Value};

const DEFAULT_INITIAL_DELAY_SECONDS: i64 = 1200;
const DEFAULT_READINESS_TIMEOUT_SECONDS: i64 = 15;
const DEFAULT_PROBE_INTERVAL_SECONDS: i64 = 10;
const DEFAULT_LB_STREAM_TIMEOUT: i64 = 120;
const DEFAULT_MIN_REPLICAS: i64 = 1;
const DEFAULT_QUEUE_LENGTH_THRESHOLD: i64 = 1;

/// A normalised service (or pool) spec; `None` fields are unset.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceSpec {
    pub readiness_path: String,
    pub initial_delay_seconds: Value,
    pub readiness_timeout_seconds: Value,
    pub endpoint_probe_interval_seconds: Value,
    pub lb_stream_timeout_seconds: Value,
    pub min_replicas: Value,
    pub max_replicas: Option<Value>,
    pub num_overprovision: Option<Value>,
    pub ports: Option<String>,
    pub target_qps_per_replica: Option<Value>,
    pub post_data: Option<Value>,
    pub tls: Option<(Value, Value)>,
    pub readiness_headers: Option<Value>,
    pub dynamic_ondemand_fallback: Option<Value>,
    pub base_ondemand_fallback_replicas: Option<Value>,
    pub spot_placer: Option<Value>,
    pub upscale_delay_seconds: Option<Value>,
    pub downscale_delay_seconds: Option<Value>,
    pub load_balancing_policy: Option<String>,
    /// The `pool:` mapping when this spec describes a worker pool.
    pub pool: Option<Map>,
    pub queue_length_threshold: Option<Value>,
    pub consecutive_failure_threshold_timeout: Option<Value>,
}

fn get(m: &Map, k: &str) -> Option<Value> {
    m.get(k).filter(|v| !v.is_null()).cloned()
}

fn num(v: &Option<Value>) -> f64 {
    match v {
        Some(Value::Int(i)) => *i as f64,
        Some(Value::Float(f)) => *f,
        _ => 0.0,
    }
}

impl ServiceSpec {
    /// `SkyServiceSpec.from_yaml_config`.
    pub fn from_yaml_config(config: &Value) -> Result<ServiceSpec> {
        validate_schema(config, schemas::service(), "Invalid service YAML: ", true)?;
        let c = config.as_map().cloned().unwrap_or_default();
        if c.contains("replicas") && c.contains("replica_policy") {
            return Err(Error::value(
                "Cannot specify both `replicas` and `replica_policy` in the service YAML. Please use one of them.",
            ));
        }
        let mut s = ServiceSpec::default();
        let probe = c
            .get("readiness_probe")
            .cloned()
            .unwrap_or_else(|| Value::from("/"));
        let mut post_data = None;
        let (mut delay, mut timeout, mut interval) = (None, None, None);
        match &probe {
            Value::Map(p) => {
                s.readiness_path = p.get("path").map(Value::py_str).unwrap_or_default();
                delay = get(p, "initial_delay_seconds");
                post_data = get(p, "post_data");
                timeout = get(p, "timeout_seconds");
                interval = get(p, "endpoint_probe_interval_seconds");
                s.consecutive_failure_threshold_timeout =
                    get(p, "consecutive_failure_threshold_timeout");
                s.readiness_headers = get(p, "headers");
            }
            other => s.readiness_path = other.py_str(),
        }
        s.initial_delay_seconds = delay.unwrap_or(Value::Int(DEFAULT_INITIAL_DELAY_SECONDS));
        s.readiness_timeout_seconds =
            timeout.unwrap_or(Value::Int(DEFAULT_READINESS_TIMEOUT_SECONDS));
        s.endpoint_probe_interval_seconds =
            interval.unwrap_or(Value::Int(DEFAULT_PROBE_INTERVAL_SECONDS));
        s.lb_stream_timeout_seconds = c
            .get("load_balancer")
            .and_then(Value::as_map)
            .and_then(|lb| get(lb, "stream_timeout_seconds"))
            .unwrap_or(Value::Int(DEFAULT_LB_STREAM_TIMEOUT));
        if let Some(Value::Str(text)) = &post_data {
            let parsed: serde_json::Value = serde_json::from_str(text).map_err(|_| {
                Error::value("Invalid JSON string for `post_data` in the `readiness_probe` section of your service YAML.")
            })?;
            post_data = Some(crate::yaml::json_to_value(&parsed));
        }
        s.post_data = post_data;
        if let Some(p) = get(&c, "ports") {
            let port = match p {
                Value::Int(i) => i,
                Value::Float(f) => f as i64,
                _ => 0,
            };
            if !(1..=65535).contains(&port) {
                return Err(Error::value("Port must be between 1 and 65535."));
            }
            s.ports = Some(port.to_string());
        }
        let pool = c.get("pool").and_then(Value::as_map).cloned();
        let policy = c.get("replica_policy").and_then(Value::as_map).cloned();
        let pool_truthy = pool.as_ref().is_some_and(|p| !p.is_empty());
        if policy.is_some() && pool_truthy {
            return Err(Error::value(
                "Cannot specify `replica_policy` for cluster pool. Only `workers: <num>` or `min_workers: <num> max_workers: <num>` is supported for pool now.",
            ));
        }
        let mut simplified = get(&c, "replicas");
        let mut workers = get(&c, "workers");
        if simplified.is_some() && workers.is_some() {
            return Err(Error::value(
                "Cannot specify both `replicas` and `workers`. Please use one of them.",
            ));
        }
        if simplified.is_some() && pool_truthy {
            return Err(Error::value(
                "Cannot specify `replicas` for pool. Please use `workers` instead.",
            ));
        }
        if simplified.is_none() {
            simplified = workers.clone();
        }
        let (mut qlt, mut pmin, mut pmax, mut pup, mut pdown) = (None, None, None, None, None);
        if let Some(p) = &pool {
            qlt = get(p, "queue_length_threshold");
            pmin = get(p, "min_workers");
            pmax = get(p, "max_workers");
            pup = get(p, "upscale_delay_seconds");
            pdown = get(p, "downscale_delay_seconds");
            workers = get(p, "workers").or(workers);
            if pmin.is_none() && pmax.is_none() && workers.is_none() {
                return Err(Error::value(
                    "One of workers, or both min_workers and max_workers must be set for pool autoscaling.",
                ));
            }
            if qlt.is_some() && pmax.is_none() {
                return Err(Error::value(
                    "max_workers must be set when queue_length_threshold is specified for pool autoscaling.",
                ));
            }
            if pmin.is_some() && pmax.is_none() {
                return Err(Error::value(
                    "max_workers must be set when min_workers is specified for pool autoscaling.",
                ));
            }
            if pmin.is_some() && pmax.is_some() && num(&pmin) > num(&pmax) {
                return Err(Error::value(format!(
                    "min_workers ({}) must be <= max_workers ({}) for pool autoscaling.",
                    pmin.as_ref().map(Value::py_str).unwrap_or_default(),
                    pmax.as_ref().map(Value::py_str).unwrap_or_default()
                )));
            }
        }
        if policy.is_none() || simplified.is_some() {
            let mut min = simplified
                .or(workers)
                .unwrap_or(Value::Int(DEFAULT_MIN_REPLICAS));
            if pool.is_some() && pmax.is_some() {
                qlt = qlt.or(Some(Value::Int(DEFAULT_QUEUE_LENGTH_THRESHOLD)));
                if let Some(m) = &pmin {
                    min = m.clone();
                }
            }
            s.min_replicas = min;
            s.max_replicas = pmax;
            s.upscale_delay_seconds = pup;
            s.downscale_delay_seconds = pdown;
        } else if let Some(p) = &policy {
            s.min_replicas = p.get("min_replicas").cloned().unwrap_or(Value::Null);
            s.max_replicas = get(p, "max_replicas");
            s.num_overprovision = get(p, "num_overprovision");
            s.target_qps_per_replica = get(p, "target_qps_per_replica");
            s.upscale_delay_seconds = get(p, "upscale_delay_seconds");
            s.downscale_delay_seconds = get(p, "downscale_delay_seconds");
            s.base_ondemand_fallback_replicas = get(p, "base_ondemand_fallback_replicas");
            s.dynamic_ondemand_fallback = get(p, "dynamic_ondemand_fallback");
            s.spot_placer = get(p, "spot_placer");
        }
        s.queue_length_threshold = qlt;
        s.load_balancing_policy = get(&c, "load_balancing_policy").map(|v| v.py_str());
        let dict_qps = matches!(s.target_qps_per_replica, Some(Value::Map(_)));
        let ia = s.load_balancing_policy.as_deref() == Some("instance_aware_least_load");
        if dict_qps && !ia {
            return Err(Error::value(
                "When using dict type target_qps_per_replica, load_balancing_policy must be \"instance_aware_least_load\".",
            ));
        }
        if ia && !dict_qps {
            return Err(Error::value(
                "When using \"instance_aware_least_load\" policy, target_qps_per_replica must be a dict mapping GPU types to QPS values.",
            ));
        }
        if let Some(Value::Map(t)) = c.get("tls") {
            s.tls = Some((
                t.get("keyfile").cloned().unwrap_or(Value::Null),
                t.get("certfile").cloned().unwrap_or(Value::Null),
            ));
        }
        s.pool = pool;
        s.check()?;
        Ok(s)
    }

    /// The constructor's cross-field checks.
    fn check(&self) -> Result<()> {
        let pool = self.pool.as_ref().is_some_and(|p| !p.is_empty());
        if pool {
            let mut unsupported: Vec<(&str, bool)> = vec![
                ("num_overprovision", self.num_overprovision.is_some()),
                (
                    "target_qps_per_replica",
                    self.target_qps_per_replica.is_some(),
                ),
                (
                    "base_ondemand_fallback_replicas",
                    self.base_ondemand_fallback_replicas.is_some(),
                ),
                (
                    "dynamic_ondemand_fallback",
                    self.dynamic_ondemand_fallback.is_some(),
                ),
                ("spot_placer", self.spot_placer.is_some()),
                (
                    "load_balancing_policy",
                    self.load_balancing_policy.is_some(),
                ),
                ("ports", self.ports.is_some()),
                ("post_data", self.post_data.is_some()),
                ("tls_credential", self.tls.is_some()),
                ("readiness_headers", self.readiness_headers.is_some()),
            ];
            if self.max_replicas.is_none() {
                unsupported.push((
                    "upscale_delay_seconds",
                    self.upscale_delay_seconds.is_some(),
                ));
                unsupported.push((
                    "downscale_delay_seconds",
                    self.downscale_delay_seconds.is_some(),
                ));
            }
            if let Some((field, _)) = unsupported.iter().find(|(_, set)| *set) {
                return Err(Error::value(format!("{field} is not supported for pool.")));
            }
        }
        let min = num(&Some(self.min_replicas.clone()));
        if let Some(max) = &self.max_replicas
            && num(&Some(max.clone())) < min
        {
            return Err(Error::value(format!(
                "max_replicas must be greater than or equal to min_replicas. Found: min_replicas={}, max_replicas={}",
                self.min_replicas.py_str(),
                max.py_str()
            )));
        }
        if self.target_qps_per_replica.is_some() {
            if self.max_replicas.is_none() {
                return Err(Error::value(
                    "max_replicas must be set where target_qps_per_replica is set.",
                ));
            }
        } else if !pool
            && self
                .max_replicas
                .as_ref()
                .is_some_and(|m| num(&Some(m.clone())) != min)
        {
            return Err(Error::value(
                "Detected different min_replicas and max_replicas while target_qps_per_replica is not set. To enable autoscaling, please set target_qps_per_replica.",
            ));
        }
        if !self.readiness_path.starts_with('/') {
            return Err(Error::value(format!(
                "readiness_path must start with a slash (/). Got: {}",
                self.readiness_path
            )));
        }
        if let Some(p) = &self.load_balancing_policy
            && !["round_robin", "least_load", "instance_aware_least_load"].contains(&p.as_str())
        {
            return Err(Error::value(format!(
                "Unknown load balancing policy: {p}. Available policies: ['round_robin', 'least_load', 'instance_aware_least_load']"
            )));
        }
        Ok(())
    }

    /// Whether this spec is a worker pool.
    pub fn is_pool(&self) -> bool {
        self.pool.as_ref().is_some_and(|p| !p.is_empty())
    }

    /// `SkyServiceSpec.to_yaml_config()`.
    pub fn to_yaml_config(&self) -> Map {
        let mut c = Map::new();
        fn section(c: &mut Map, sec: &str, key: &str, v: Option<Value>) {
            let Some(v) = v.filter(|v| !v.is_null()) else {
                return;
            };
            if !c.contains(sec) {
                c.insert(sec, Value::Map(Map::new()));
            }
            if let Some((_, Value::Map(m))) = c.0.iter_mut().find(|(k, _)| k.as_str() == Some(sec))
            {
                m.insert(key, v);
            }
        }
        if let Some(p) = &self.pool {
            c.insert("pool", Value::Map(p.clone()));
        }
        if self.is_pool() {
            if self.max_replicas.is_some() {
                section(&mut c, "pool", "max_workers", self.max_replicas.clone());
                section(
                    &mut c,
                    "pool",
                    "queue_length_threshold",
                    self.queue_length_threshold.clone(),
                );
                section(
                    &mut c,
                    "pool",
                    "min_workers",
                    Some(self.min_replicas.clone()),
                );
                section(
                    &mut c,
                    "pool",
                    "upscale_delay_seconds",
                    self.upscale_delay_seconds.clone(),
                );
                section(
                    &mut c,
                    "pool",
                    "downscale_delay_seconds",
                    self.downscale_delay_seconds.clone(),
                );
            } else {
                section(&mut c, "pool", "workers", Some(self.min_replicas.clone()));
            }
            return c;
        }
        let rp = "readiness_probe";
        section(
            &mut c,
            rp,
            "path",
            Some(Value::from(self.readiness_path.as_str())),
        );
        section(
            &mut c,
            rp,
            "initial_delay_seconds",
            Some(self.initial_delay_seconds.clone()),
        );
        section(&mut c, rp, "post_data", self.post_data.clone());
        section(
            &mut c,
            rp,
            "timeout_seconds",
            Some(self.readiness_timeout_seconds.clone()),
        );
        if num(&Some(self.endpoint_probe_interval_seconds.clone()))
            != DEFAULT_PROBE_INTERVAL_SECONDS as f64
        {
            section(
                &mut c,
                rp,
                "endpoint_probe_interval_seconds",
                Some(self.endpoint_probe_interval_seconds.clone()),
            );
        }
        section(
            &mut c,
            rp,
            "consecutive_failure_threshold_timeout",
            self.consecutive_failure_threshold_timeout.clone(),
        );
        if num(&Some(self.lb_stream_timeout_seconds.clone())) != DEFAULT_LB_STREAM_TIMEOUT as f64 {
            section(
                &mut c,
                "load_balancer",
                "stream_timeout_seconds",
                Some(self.lb_stream_timeout_seconds.clone()),
            );
        }
        section(&mut c, rp, "headers", self.readiness_headers.clone());
        let pol = "replica_policy";
        section(&mut c, pol, "min_replicas", Some(self.min_replicas.clone()));
        section(&mut c, pol, "max_replicas", self.max_replicas.clone());
        section(
            &mut c,
            pol,
            "num_overprovision",
            self.num_overprovision.clone(),
        );
        section(
            &mut c,
            pol,
            "target_qps_per_replica",
            self.target_qps_per_replica.clone(),
        );
        section(
            &mut c,
            pol,
            "dynamic_ondemand_fallback",
            self.dynamic_ondemand_fallback.clone(),
        );
        section(
            &mut c,
            pol,
            "base_ondemand_fallback_replicas",
            self.base_ondemand_fallback_replicas.clone(),
        );
        section(&mut c, pol, "spot_placer", self.spot_placer.clone());
        section(
            &mut c,
            pol,
            "upscale_delay_seconds",
            self.upscale_delay_seconds.clone(),
        );
        section(
            &mut c,
            pol,
            "downscale_delay_seconds",
            self.downscale_delay_seconds.clone(),
        );
        if let Some(p) = &self.load_balancing_policy {
            c.insert("load_balancing_policy", p.as_str());
        }
        if let Some(p) = self
            .ports
            .as_ref()
            .and_then(|p| p.parse::<i64>().ok())
            .filter(|p| *p != 0)
        {
            c.insert("ports", p);
        }
        if let Some((k, cert)) = &self.tls {
            section(&mut c, "tls", "keyfile", Some(k.clone()));
            section(&mut c, "tls", "certfile", Some(cert.clone()));
        }
        c
    }
}
