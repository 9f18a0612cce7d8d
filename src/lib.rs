//! nianbao (年报): crawl, archive and extract Chinese government
//! information-disclosure annual reports (政府信息公开工作年度报告).
//!
//! Modules follow the data flow: config → seeds → store → crawl → page
//! metadata → extract → export.

pub mod archive_extract;
pub mod bench;
pub mod charset;
pub mod compare;
pub mod config;
pub mod crawl;
pub mod demo;
pub mod document;
pub mod export;
pub mod extract;
pub mod formats;
pub mod page;
pub mod patterns;
pub mod portal;
pub mod report_view;
pub mod schedule;
pub mod seeds;
pub mod serve;
pub mod similarity;
pub mod status;
pub mod store;
