//! The integration tests, one binary (as ripgrep's `tests/` are): each module
//! drives the real library or the real `nianbao` binary against real HTTP
//! servers on 127.0.0.1 (the sample portal of `crates/portal`, or servers a
//! test starts itself), never any other address.

// Shared helpers: not every test module uses every helper.
#[allow(dead_code)]
mod answer_support;
#[allow(dead_code)]
mod common;

mod answer_export;
mod answer_lists;
mod answer_scale;
mod answer_schedule;
mod answer_warc;
mod answers_portal;
mod bench_cli;
mod cli_errors;
mod cli_exports;
mod cli_operator;
mod cli_setup;
mod crash_resume;
mod crawl_portal;
mod crawl_tls;
mod demo_cli;
mod discovery_idioms;
mod extract_cases;
mod extract_corpus;
mod extract_fixtures;
mod extract_proptest;
mod extract_stage;
mod faults;
mod formats_e2e;
mod formats_fixtures;
mod formats_fuzz;
mod portal_server;
mod serve_dashboard;
