//! podsec: check and minimally fix Kubernetes manifests against the Pod Security Standards.
pub mod app;
pub mod checks;
pub mod cli;
pub mod commands;
pub mod config;
pub mod docs;
pub mod edit;
pub mod engine;
pub mod fix;
pub mod frontend;
pub mod input;
pub mod k8s;
pub mod krm;
pub mod markdown;
pub mod patches;
pub mod progress;
pub mod report;
pub mod write;
pub mod yaml;

#[cfg(test)]
mod layering;
