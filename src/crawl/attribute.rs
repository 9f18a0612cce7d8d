//! Which seed agency a report belongs to: the longest agency name or alias found
//! in the report's title (then its heading text), not the seed that led to it.

use crate::store::StoredAgency;

/// The agency a report is attributed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribution {
    /// The seed agency, when one matched.
    pub agency_id: Option<i64>,
    /// The agency's name as the seeds spell it, or as read from the title when
    /// it is not in the seeds (a discovered agency).
    pub name: Option<String>,
}

/// Finds the seed agency whose name or alias occurs in `texts` (tried in order:
/// title, then the agency read from the title, then the start of the page),
/// preferring the longest match so `新乡市卫滨区人民政府` beats `卫滨区`.
pub fn attribute(
    agencies: &[StoredAgency],
    texts: &[&str],
    name_from_title: Option<&str>,
) -> Attribution {
    for text in texts {
        let text = crate::patterns::squeeze(text);
        if text.is_empty() {
            continue;
        }
        let best = agencies
            .iter()
            .flat_map(|a| a.agency.names().into_iter().map(move |n| (a, n)))
            .filter(|(_, n)| !n.is_empty() && text.contains(&crate::patterns::squeeze(n)))
            .max_by_key(|(_, n)| n.chars().count());
        if let Some((a, _)) = best {
            return Attribution {
                agency_id: Some(a.id),
                name: Some(a.agency.name.clone()),
            };
        }
    }
    Attribution {
        agency_id: None,
        name: name_from_title
            .map(str::to_string)
            .filter(|n| !n.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds::Agency;

    fn agency(id: i64, name: &str, aliases: &[&str]) -> StoredAgency {
        StoredAgency {
            id,
            agency: Agency {
                name: name.into(),
                region: String::new(),
                level: String::new(),
                aliases: aliases.iter().map(|s| s.to_string()).collect(),
            },
        }
    }

    #[test]
    fn longest_name_or_alias_wins() {
        let agencies = vec![
            agency(1, "新乡市卫滨区人民政府", &["卫滨区人民政府", "卫滨区"]),
            agency(2, "新乡市卫滨区人民政府办公室", &["卫滨区政府办"]),
            agency(3, "肖寨门镇人民政府", &["肖寨门镇"]),
        ];
        let a = attribute(
            &agencies,
            &["卫滨区人民政府 2022 年政府信息公开工作年度报告"],
            None,
        );
        assert_eq!(a.agency_id, Some(1));
        let a = attribute(
            &agencies,
            &["新乡市卫滨区人民政府办公室2022年度政府信息公开工作年度报告"],
            None,
        );
        assert_eq!(a.agency_id, Some(2));
        let a = attribute(&agencies, &["肖寨门镇2022年度政府信息公开工作报告"], None);
        assert_eq!(a.name.as_deref(), Some("肖寨门镇人民政府"));
    }

    #[test]
    fn unknown_agency_is_kept_as_discovered() {
        let agencies = vec![agency(1, "辽宁省机关事务管理局", &[])];
        let a = attribute(
            &agencies,
            &["沈阳市自然资源局2022年政府信息公开工作年度报告"],
            Some("沈阳市自然资源局"),
        );
        assert_eq!(
            a,
            Attribution {
                agency_id: None,
                name: Some("沈阳市自然资源局".into())
            }
        );
    }
}
