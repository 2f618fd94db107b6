//! The commands of the command line, each from its parsed arguments to an exit code.

pub mod check;
pub mod dump;
pub mod fix;
pub mod overlay;
