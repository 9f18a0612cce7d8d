//! The browser tests, in a binary of their own: cargo runs test binaries one
//! after another, so Chromium's CPU load never overlaps the timing-sensitive
//! politeness tests of `tests/it` (on a 2-core machine it skewed their
//! server-side request gaps by 50 ms and more).

#[allow(dead_code)]
#[path = "../it/common.rs"]
mod common;

mod crawl_render;
