//! podsec: check and minimally fix Kubernetes manifests against the Pod Security Standards.
pub mod app;
pub mod checks;
pub mod cli;
pub mod config;
pub mod docs;
pub mod dump;
pub mod edit;
pub mod engine;
pub mod fix;
pub mod input;
pub mod k8s;
pub mod krm;
pub mod markdown;
pub mod overlay;
pub mod patches;
pub mod report;
pub mod yaml;
