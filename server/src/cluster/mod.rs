//! Clusters. For now the records themselves; connectivity and backends come with their own issue.

pub mod records;
pub mod standalone;
