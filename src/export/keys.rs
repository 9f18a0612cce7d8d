//! The canonical keys of the report's tables, in print order, for the exports:
//! the extractor's lists, under the names the exporters use, plus the
//! per-template lookups.

pub use crate::extract::{
    ACTIVE_ROWS_2019 as ACTIVE_DISCLOSURE_2019, ACTIVE_ROWS_2021 as ACTIVE_DISCLOSURE_2021,
    APPLICANT_COLUMNS, APPLICATION_ROWS_2019, APPLICATION_ROWS_2021,
    REVIEW_FIELDS as REVIEW_COLUMNS, REVIEW_GROUPS,
};

/// The templates nianbao knows, as stored in `template`.
pub const TEMPLATES: [&str; 2] = ["2021", "2019"];

/// Part 三 rows of a template; unknown templates read as 2021, the one in force.
pub fn application_rows(template: Option<&str>) -> &'static [&'static str] {
    match template {
        Some("2019") => APPLICATION_ROWS_2019,
        _ => APPLICATION_ROWS_2021,
    }
}

/// Part 二 layout of a template; unknown templates read as 2021.
pub fn active_disclosure(
    template: Option<&str>,
) -> &'static [(&'static str, &'static [&'static str])] {
    match template {
        Some("2019") => ACTIVE_DISCLOSURE_2019,
        _ => ACTIVE_DISCLOSURE_2021,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_differ_only_in_other_processing() {
        let a: Vec<_> = APPLICATION_ROWS_2021
            .iter()
            .filter(|k| !k.starts_with("other_"))
            .collect();
        let b: Vec<_> = APPLICATION_ROWS_2019
            .iter()
            .filter(|k| !k.starts_with("other_"))
            .collect();
        assert_eq!(a, b);
        let values: usize = ACTIVE_DISCLOSURE_2021.iter().map(|(_, v)| v.len()).sum();
        assert_eq!(values, 10);
    }
}
