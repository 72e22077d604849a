//! The commands, one module per family: each defines its arguments (clap) and runs them.
//! The commands that authenticate take a [`Ctx`](crate::context::Ctx); output goes through
//! [`crate::output`].

pub mod catalog;
pub mod completion;
pub mod config;
pub mod discover;
pub mod endpoint;
pub mod plugins;
pub mod request;
pub mod token;
pub mod versions;
