//! TEMPORARY shim until the page-metadata module lands (same API).
use crate::patterns::ReportPatterns;
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    Report,
    Listing,
    Other,
}
impl PageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PageKind::Report => "report",
            PageKind::Listing => "listing",
            PageKind::Other => "other",
        }
    }
}
#[derive(Debug, Clone)]
pub struct PageMeta {
    pub title: Option<String>,
    pub publish_date: Option<chrono::NaiveDate>,
    pub source: Option<String>,
    pub editor: Option<String>,
    pub column: Option<String>,
    pub site_name: Option<String>,
    pub report_year: Option<i32>,
    pub agency: Option<String>,
    pub kind: PageKind,
}
pub fn page_meta(html: &str, patterns: &ReportPatterns) -> PageMeta {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("title").unwrap();
    let title = doc
        .select(&sel)
        .next()
        .map(|t| t.text().collect::<String>().trim().to_string());
    let is_report = title
        .as_deref()
        .is_some_and(|t| patterns.is_report_title(t));
    PageMeta {
        report_year: title.as_deref().and_then(crate::patterns::report_year),
        agency: None,
        title,
        publish_date: None,
        source: None,
        editor: None,
        column: None,
        site_name: None,
        kind: if is_report {
            PageKind::Report
        } else {
            PageKind::Other
        },
    }
}
pub fn agency_from_title(title: &str) -> Option<String> {
    let i = title.find("20")?;
    Some(title[..i].trim().to_string()).filter(|s| !s.is_empty())
}
