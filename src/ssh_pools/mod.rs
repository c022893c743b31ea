//! SSH node pools (`~/.sky/ssh_node_pools.yaml`): the pool file, what
//! `sky ssh up` found on each host and the ledger of which cluster holds
//! which share of which host. The provisioner (`provision::ssh`), the
//! cloud (`clouds::ssh`) and `sky check ssh` read pools only through here.

pub mod detect;
pub mod file;
pub mod inventory;
pub mod up;

pub use file::{Pool, PoolFile, PoolHost};
pub use inventory::{Allocation, Demand, HostRecord, Inventory, Share};
