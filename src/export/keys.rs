//! The canonical keys of the report's tables (see the report-format notes),
//! in print order, for the exports. The extractor keeps its own copy for now.

/// Part 三 columns: six applicant kinds, then the total.
pub const APPLICANT_COLUMNS: [&str; 7] = [
    "natural_person",
    "commercial",
    "research",
    "social_welfare",
    "legal_service",
    "other",
    "total",
];

/// Part 三 rows of the 2021 template (25).
pub const APPLICATION_ROWS_2021: [&str; 25] = [
    "new_received",
    "carried_over",
    "granted",
    "partially_granted",
    "denied_state_secret",
    "denied_prohibited_by_law",
    "denied_three_safeties",
    "denied_third_party",
    "denied_internal_affairs",
    "denied_process_info",
    "denied_enforcement_file",
    "denied_query_matter",
    "unavailable_not_held",
    "unavailable_needs_creation",
    "unavailable_unclear",
    "not_processed_petition",
    "not_processed_duplicate",
    "not_processed_publication",
    "not_processed_excessive",
    "not_processed_confirmation",
    "other_no_correction",
    "other_unpaid_fee",
    "other_other",
    "total_processed",
    "carried_forward",
];

/// Part 三 rows of the 2019 template (23): （六）其他处理 is one row.
pub const APPLICATION_ROWS_2019: [&str; 23] = [
    "new_received",
    "carried_over",
    "granted",
    "partially_granted",
    "denied_state_secret",
    "denied_prohibited_by_law",
    "denied_three_safeties",
    "denied_third_party",
    "denied_internal_affairs",
    "denied_process_info",
    "denied_enforcement_file",
    "denied_query_matter",
    "unavailable_not_held",
    "unavailable_needs_creation",
    "unavailable_unclear",
    "not_processed_petition",
    "not_processed_duplicate",
    "not_processed_publication",
    "not_processed_excessive",
    "not_processed_confirmation",
    "other_processing",
    "total_processed",
    "carried_forward",
];

/// Part 四 groups and their five columns.
pub const REVIEW_GROUPS: [&str; 3] = ["review", "litigation_direct", "litigation_after_review"];
pub const REVIEW_COLUMNS: [&str; 5] = ["upheld", "corrected", "other", "pending", "total"];

/// Part 二 rows and their value keys, 2021 template.
pub const ACTIVE_DISCLOSURE_2021: &[(&str, &[&str])] = &[
    ("rules", &["issued", "repealed", "in_force"]),
    ("normative_documents", &["issued", "repealed", "in_force"]),
    ("licensing", &["decisions"]),
    ("penalty", &["decisions"]),
    ("enforcement", &["decisions"]),
    ("fees", &["amount_10k_yuan"]),
];

/// Part 二 rows and their value keys, 2019 template.
pub const ACTIVE_DISCLOSURE_2019: &[(&str, &[&str])] = &[
    ("rules", &["made", "published", "total_public"]),
    (
        "normative_documents",
        &["made", "published", "total_public"],
    ),
    ("licensing", &["previous_count", "change", "decisions"]),
    ("other_services", &["previous_count", "change", "decisions"]),
    ("penalty", &["previous_count", "change", "decisions"]),
    ("enforcement", &["previous_count", "change", "decisions"]),
    ("fees", &["previous_count", "change"]),
    ("procurement", &["projects", "amount"]),
];

/// The templates nianbao knows, as stored in `template`.
pub const TEMPLATES: [&str; 2] = ["2021", "2019"];

/// Part 三 rows of a template; unknown templates read as 2021, the one in force.
pub fn application_rows(template: Option<&str>) -> &'static [&'static str] {
    match template {
        Some("2019") => &APPLICATION_ROWS_2019,
        _ => &APPLICATION_ROWS_2021,
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
