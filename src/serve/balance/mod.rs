//! Server selection for `lbc serve`: one algorithm per file. Only nginx's default, the smooth
//! weighted round-robin, is implemented; the planner refuses pools using any other.

mod round_robin;

pub use round_robin::RoundRobin;
