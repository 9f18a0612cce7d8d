//! Which seed agency a report belongs to: the longest agency name or alias found
//! in the report's title (then its heading text), not the seed that led to it.
//!
//! The names are read into one automaton when the run starts, so attributing a
//! report costs the length of its title, not the number of seed agencies (with
//! thousands of agencies, squeezing and searching every name for every report
//! was a tenth of the crawl's CPU).

use crate::store::StoredAgency;
use aho_corasick::{AhoCorasick, MatchKind};

/// The agency a report is attributed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribution {
    /// The seed agency, when one matched.
    pub agency_id: Option<i64>,
    /// The agency's name as the seeds spell it, or as read from the title when
    /// it is not in the seeds (a discovered agency).
    pub name: Option<String>,
}

/// One name or alias of a seed agency.
struct Name {
    agency: usize,
    /// Its length in characters as the seeds spell it: the longest match wins.
    chars: usize,
}

/// The seed agencies' names and aliases, ready to be found in a text.
pub struct AgencyNames {
    agencies: Vec<StoredAgency>,
    /// Per distinct squeezed name (the automaton's pattern), every name spelled so.
    names: Vec<Vec<Name>>,
    automaton: AhoCorasick,
}

impl AgencyNames {
    /// Reads the names of `agencies` (whitespace squeezed, as texts are). Fails
    /// only past the automaton's size limits: never silently attributes nothing.
    pub fn new(agencies: Vec<StoredAgency>) -> Result<AgencyNames, aho_corasick::BuildError> {
        let mut patterns: Vec<String> = Vec::new();
        let mut names: Vec<Vec<Name>> = Vec::new();
        let mut index = std::collections::HashMap::<String, usize>::new();
        for (i, a) in agencies.iter().enumerate() {
            for n in a.agency.names() {
                let squeezed = crate::patterns::squeeze(n);
                if squeezed.is_empty() {
                    continue;
                }
                let slot = *index.entry(squeezed.clone()).or_insert_with(|| {
                    patterns.push(squeezed);
                    names.push(Vec::new());
                    patterns.len() - 1
                });
                names[slot].push(Name {
                    agency: i,
                    chars: n.chars().count(),
                });
            }
        }
        // Standard semantics: every pattern that occurs is reported (overlapping search).
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&patterns)?;
        Ok(AgencyNames {
            agencies,
            names,
            automaton,
        })
    }

    /// Finds the seed agency whose name or alias occurs in `texts` (tried in order:
    /// title, then the agency read from the title, then the start of the page),
    /// preferring the longest match so `新乡市卫滨区人民政府` beats `卫滨区`.
    pub fn attribute(&self, texts: &[&str], name_from_title: Option<&str>) -> Attribution {
        for text in texts {
            let text = crate::patterns::squeeze(text);
            if text.is_empty() {
                continue;
            }
            // Longest name first; among names as long, the later seed row
            // (then the later of its names), as the seeds file orders them.
            let best = self
                .automaton
                .find_overlapping_iter(&text)
                .flat_map(|m| &self.names[m.pattern().as_usize()])
                .max_by_key(|n| (n.chars, n.agency));
            if let Some(n) = best {
                let a = &self.agencies[n.agency];
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
        let a = AgencyNames::new(agencies.clone())
            .unwrap()
            .attribute(&["卫滨区人民政府 2022 年政府信息公开工作年度报告"], None);
        assert_eq!(a.agency_id, Some(1));
        let a = AgencyNames::new(agencies.clone()).unwrap().attribute(
            &["新乡市卫滨区人民政府办公室2022年度政府信息公开工作年度报告"],
            None,
        );
        assert_eq!(a.agency_id, Some(2));
        let a = AgencyNames::new(agencies.clone())
            .unwrap()
            .attribute(&["肖寨门镇2022年度政府信息公开工作报告"], None);
        assert_eq!(a.name.as_deref(), Some("肖寨门镇人民政府"));
    }

    #[test]
    fn unknown_agency_is_kept_as_discovered() {
        let agencies = vec![agency(1, "辽宁省机关事务管理局", &[])];
        let a = AgencyNames::new(agencies.clone()).unwrap().attribute(
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

    #[test]
    fn thousands_of_agencies_longest_and_later_row_win() {
        let mut agencies: Vec<StoredAgency> = (0..3000)
            .map(|i| agency(i, &format!("某市第{i}局"), &[]))
            .collect();
        agencies.push(agency(5000, "某市第12局机关", &["第12局"]));
        // Two rows spelling one name: the later row wins, as before.
        agencies.push(agency(6000, "某市第7局", &[]));
        let names = AgencyNames::new(agencies).unwrap();
        let a = names.attribute(&["某市第1234局 2023 年政府信息公开工作年度报告"], None);
        assert_eq!(a.agency_id, Some(1234));
        let a = names.attribute(&["某 市 第 12 局 机 关 2023 年度报告"], None);
        assert_eq!(a.agency_id, Some(5000), "squeezed, longest name");
        let a = names.attribute(&["某市第7局2023年度报告"], None);
        assert_eq!(a.agency_id, Some(6000));
        let a = names.attribute(&["", "无此机关", "某市第9局"], Some("无此机关"));
        assert_eq!(a.agency_id, Some(9), "texts are tried in order");
        let none = AgencyNames::new(Vec::new())
            .unwrap()
            .attribute(&["某市第9局"], Some("某市第9局"));
        assert_eq!(none.agency_id, None);
        assert_eq!(none.name.as_deref(), Some("某市第9局"));
    }
}
