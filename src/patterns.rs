//! What makes a title an annual report title, and which report year it names.
//!
//! Shared by discovery (is this link a report?), page metadata (is this page a
//! report?) and attribution. Patterns come from `crawler.toml`; the defaults
//! cover the titles portals actually use (年度报告, 工作报告, 年报).

use regex::Regex;
use std::ops::RangeInclusive;
use std::sync::LazyLock;

/// Default patterns a report title must match (any of them).
pub const DEFAULT_TITLE_PATTERNS: &[&str] = &[
    r"信息公开\s*(工作)?\s*(年度)?\s*(报告|年报)",
    r"政务公开\s*(工作)?\s*年度\s*报告",
];

/// Default patterns that make a matching title *not* a report (notices about
/// the report, interpretations, work plans).
pub const DEFAULT_EXCLUDE_PATTERNS: &[&str] =
    &[r"通知|工作要点|解读|考核|评估|评议|编制|的函|意见|方案|目录|指南"];

/// Compiled title patterns plus the report years of interest.
#[derive(Debug, Clone)]
pub struct ReportPatterns {
    /// A title matching any of these is a report title…
    pub include: Vec<Regex>,
    /// …unless it matches one of these.
    pub exclude: Vec<Regex>,
    /// Report years to archive; `None` means every year found.
    pub years: Option<RangeInclusive<i32>>,
}

impl Default for ReportPatterns {
    fn default() -> Self {
        ReportPatterns {
            include: compile(DEFAULT_TITLE_PATTERNS).expect("default include patterns are valid"),
            exclude: compile(DEFAULT_EXCLUDE_PATTERNS).expect("default exclude patterns are valid"),
            years: None,
        }
    }
}

/// Compiles patterns, naming the first one that is not a valid regex.
pub fn compile<S: AsRef<str>>(patterns: &[S]) -> Result<Vec<Regex>, (String, regex::Error)> {
    patterns
        .iter()
        .map(|p| Regex::new(p.as_ref()).map_err(|e| (p.as_ref().to_string(), e)))
        .collect()
}

impl ReportPatterns {
    /// True when `title` reads as an annual report title (ignoring years).
    pub fn is_report_title(&self, title: &str) -> bool {
        let title = squeeze(title);
        self.include.iter().any(|r| r.is_match(&title))
            && !self.exclude.iter().any(|r| r.is_match(&title))
    }

    /// True when `title` is a report title for a year we want (or names no year and we want all).
    pub fn wants(&self, title: &str) -> bool {
        if !self.is_report_title(title) {
            return false;
        }
        match (&self.years, report_year(title)) {
            (Some(range), Some(year)) => range.contains(&year),
            _ => true,
        }
    }
}

/// Removes all whitespace (titles are often spaced out: `卫滨区人民政府 2022 年…`).
pub fn squeeze(s: &str) -> String {
    // Most titles have no space: copied whole, not rebuilt character by character.
    if !s.contains(char::is_whitespace) {
        return s.to_string();
    }
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

static YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"((?:19|20)\d{2})年").expect("static regex"));

/// The half-width form of a full-width ASCII character (`２` → `2`, `：` → `:`),
/// `None` for any other character. The one owner of that fold.
pub fn half_width(c: char) -> Option<char> {
    match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0),
        _ => None,
    }
}

/// Folds full-width ASCII (digits, letters, separators) to half-width, so one
/// regex reads `２０２３年` and `2023年` alike.
pub fn fold_width(s: &str) -> String {
    if !s.contains(|c| half_width(c).is_some()) {
        return s.to_string();
    }
    s.chars().map(|c| half_width(c).unwrap_or(c)).collect()
}

/// The report year a title names: the first `20xx年` (or `20xx年度`); spaces
/// and full-width digits allowed. The one reading of a report's year, used by
/// discovery, page facts, attribution and the extractor.
pub fn report_year(title: &str) -> Option<i32> {
    YEAR.captures(&fold_width(&squeeze(title)))
        .and_then(|c| c[1].parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_seed_titles() {
        let p = ReportPatterns::default();
        for title in [
            "沈阳市辽中区人民政府办公室2022年度政府信息公开工作年度报告",
            "肖寨门镇2022年度政府信息公开工作报告",
            "卫滨区人民政府 2022 年政府信息公开工作年度报告",
            "辽宁省机关事务管理局2023年政府信息公开工作年度报告",
            "2021年政府信息公开年报",
        ] {
            assert!(p.is_report_title(title), "{title}");
        }
    }

    #[test]
    fn rejects_notices_about_reports() {
        let p = ReportPatterns::default();
        assert!(!p.is_report_title("关于做好2022年度政府信息公开工作年度报告编制和发布工作的通知"));
        assert!(!p.is_report_title("2023年政务公开工作要点"));
        assert!(!p.is_report_title("区政府常务会议纪要"));
    }

    #[test]
    fn reads_the_year_and_filters_by_range() {
        assert_eq!(
            report_year("卫滨区人民政府 2022 年政府信息公开工作年度报告"),
            Some(2022)
        );
        assert_eq!(
            report_year("某局２０２３年度政府信息公开工作年度报告"),
            Some(2023)
        );
        assert_eq!(report_year("政府信息公开工作年度报告"), None);
        let p = ReportPatterns {
            years: Some(2022..=2023),
            ..ReportPatterns::default()
        };
        assert!(p.wants("某局2022年政府信息公开工作年度报告"));
        assert!(!p.wants("某局2019年政府信息公开工作年度报告"));
        assert!(p.wants("某局政府信息公开工作年度报告"));
    }
}
