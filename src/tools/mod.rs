//! The command-line tools, apart from the service: the `fidelio` command line, the HTTP load
//! bench and the demo programs with their loader and simulation. They use the service's modules;
//! the service never uses them.

pub mod bench;
pub mod cli;
pub mod demo;
