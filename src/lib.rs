#![deny(missing_docs)]
//! nianbao (年报): crawl, archive and extract Chinese government
//! information-disclosure annual reports (政府信息公开工作年度报告).
//!
//! # Layout, in data-flow order
//!
//! - [`config`] — `crawler.toml` → a validated [`config::Config`].
//! - [`seeds`] — seed CSV files → agencies and entry URLs.
//! - [`store`] — the SQLite archive: schema, frontier, atomic page commits,
//!   the one-run lock; the only module that speaks SQL.
//! - [`crawl`] — the polite crawler: dispatcher, fetch, politeness, discovery,
//!   attribution, processing of one frontier entry.
//! - [`page`] — a fetched page read once: charset, then its facts (title,
//!   dates, source, editor, report year, kind).
//! - [`formats`] — HTML, DOCX, PDF, XLSX, OLE2 → the [`document`] model.
//! - [`extract`] — the pure extractor: document → the report's tables and checks.
//! - [`render`] — the browser fetcher: headless Chromium for script-built
//!   listings, every request through the crawler's gate; when a page needs it.
//! - [`pipeline`] — the stages put together: crawl then extract; extraction
//!   over the archive.
//! - [`export`], [`status`], [`report_view`] — the answers: missing, late,
//!   discovered, exports, WARC, status, a report as text.
//! - [`compare`], [`similarity`] — key figures side by side and across years;
//!   text repeated from the previous year's report.
//! - [`serve`] — the read-only web dashboard over those answers.
//! - [`schedule`], [`shutdown`] — the weekly service and the stop signal.
//!
//! `docs/architecture.md` draws the same map with the owner of each decision.

pub mod compare;
pub mod config;
pub mod crawl;
pub mod document;
pub mod error_text;
pub mod export;
pub mod extract;
pub mod formats;
pub mod page;
mod panic;
pub mod patterns;
pub mod pipeline;
pub mod render;
pub mod report_view;
pub mod schedule;
pub mod seeds;
pub mod serve;
pub mod shutdown;
pub mod similarity;
pub mod status;
pub mod store;
