//! How a run sends its requests: closed loop (workers) or open loop (a fixed rate).

/// How the requests are sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Load {
    /// Concurrent workers, each with one request in flight.
    Clients(usize),
    /// Requests per second, sent on schedule however many are in flight.
    Rate(f64),
}

impl std::fmt::Display for Load {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Load::Clients(n) => write!(f, "{n} clients"),
            Load::Rate(rate) => write!(f, "{rate}/s open"),
        }
    }
}
