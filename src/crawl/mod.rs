//! (in progress)
pub mod discover;
