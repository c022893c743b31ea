//! Job groups (`optimize_job_group`): placing every task of a parallel
//! dag on one common infra.
