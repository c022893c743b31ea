//! The `sky` CLI as a native binary (`stix`): the same entry point the
//! Python console script calls, without an interpreter. The cluster
//! runtime (`stix _agent ...`) runs from it in tests and on nodes.

fn main() {
    std::process::exit(stix::cli::main(std::env::args().skip(1).collect()));
}
