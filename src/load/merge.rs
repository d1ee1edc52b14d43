//! Merging shards (work in progress).
