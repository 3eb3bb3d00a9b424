//! Clusters: their records, the Kubernetes and standalone backends, and preparing a cluster.

pub mod backend;
pub mod error;
pub mod kube;
pub mod prepare;
pub mod service;
pub mod standalone;
