//! The agency and year of a report page that shows no title line (a cut page,
//! a mirror): the sentences of the text that name them, and nothing weaker.
//!
//! Each reading is a fixed phrase of these reports: the statistics period
//! (`统计期限自2021年1月1日起至2021年12月31日止`), the report named in the
//! text (`现将信访局2021年度政府信息公开工作报告如下`, `《…年度报告》`), or
//! the agency as the subject of the first sentences (`2022年，某局不断…`).
//! An agency name must end like one (局, 乡, 人民政府 …).

use regex::Regex;
use std::sync::LazyLock;

/// The statistics period names the report year.
static PERIOD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"统计(?:期限|时限|时间|区间|范围|周期)[^。]{0,8}?((?:19|20)\d{2})年0?1月0?1日")
        .expect("static regex")
});

/// The report named in the text, its agency and year: `现将X2021年度政府信息公开工作报告如下`,
/// `形成了《X2023年政府信息公开工作年度报告》`.
static NAMED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:现将|现公开|形成了?|编制了?|发布)《?([^《》，。,、；;（()]{2,40}?)((?:19|20)\d{2})年度?政府信息公开(?:工作)?(?:年度)?报告")
        .expect("static regex")
});

/// The agency as the subject of an opening sentence: `2022年，X不断强化…`, `X高度重视…`.
static SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|(?:19|20)\d{2}年[,，])([\p{Han}]{2,24}?)(?:高度重视|认真贯彻|认真落实|不断强化|不断加强|深入贯彻|严格落实|始终坚持)")
        .expect("static regex")
});

/// How an agency's name ends.
const AGENCY_ENDS: &[&str] = &[
    "局",
    "委",
    "办",
    "办公室",
    "政府",
    "乡",
    "镇",
    "街道",
    "办事处",
    "区",
    "县",
    "市",
    "中心",
    "委员会",
    "院",
    "厅",
    "署",
    "站",
    "所",
    "处",
    "公司",
    "馆",
    "队",
];

/// Pronouns and generic words that stand for the agency without naming it.
const NOT_NAMES: &[&str] = &[
    "我局",
    "我乡",
    "我镇",
    "我区",
    "我县",
    "我市",
    "本机关",
    "我单位",
    "本单位",
    "我委",
    "我办",
];

fn is_agency(name: &str) -> bool {
    AGENCY_ENDS.iter().any(|e| name.ends_with(e))
        && !NOT_NAMES.iter().any(|n| name.ends_with(n))
        && !name.contains("中华人民共和国")
}

/// Mirror noise in front of a name (`uedbet体育_uedbet官网@:西柳镇人民政府`):
/// the name is the Chinese after the last Latin letter, digit or mark.
fn strip_noise(name: &str) -> &str {
    let cut = name
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_ascii() || matches!(c, '：' | '@' | '＠'))
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(0);
    &name[cut..]
}

/// The year that opens part 一 (`一、总体情况` / `2019年，我乡…`).
static OVERVIEW_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"一、\s*总体情况\s*[^\d\n]{0,400}?((?:19|20)\d{2})年").expect("static regex")
});

/// The report year the text states, when no title gives it.
pub fn year_in_text(text: &str) -> Option<i32> {
    [&*PERIOD, &*OVERVIEW_YEAR]
        .iter()
        .find_map(|r| r.captures(text))
        .map(|c| c[1].to_string())
        .or_else(|| NAMED.captures(text).map(|c| c[2].to_string()))
        .and_then(|y| y.parse().ok())
}

/// The agency the text names as the report's author, when no title gives it.
pub fn agency_in_text(text: &str) -> Option<String> {
    for c in NAMED.captures_iter(text) {
        let name = strip_noise(c[1].trim_start_matches("关于"));
        if is_agency(name) {
            return Some(name.to_string());
        }
    }
    for line in text.lines().take(60) {
        let line = line.trim();
        for c in SUBJECT.captures_iter(line) {
            let name = strip_noise(&c[1]);
            if is_agency(name) {
                return Some(name.to_string());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_from_the_statistics_period_or_the_named_report() {
        assert_eq!(
            year_in_text("本年度报告中所列数据的统计期限自2021年1月1日起至2021年12月31日止。"),
            Some(2021)
        );
        assert_eq!(
            year_in_text("现将信访局2020年度政府信息公开工作报告如下:"),
            Some(2020)
        );
        assert_eq!(
            year_in_text("一、总体情况\n2019年,我乡明确专人负责政务公开工作。"),
            Some(2019)
        );
        assert_eq!(year_in_text("2019年,我乡明确专人负责政务公开工作。"), None);
    }

    #[test]
    fn agency_named_in_the_text() {
        assert_eq!(
            agency_in_text("现将信访局2021年度政府信息公开工作报告如下:").as_deref(),
            Some("信访局")
        );
        assert_eq!(
            agency_in_text("现编制形成了《uedbet体育_uedbet官网@:西柳镇人民政府2023年政府信息公开工作年度报告》。").as_deref(),
            Some("西柳镇人民政府")
        );
        assert_eq!(
            agency_in_text("2022年,抚远市自然资源局不断强化宣传信息报送工作").as_deref(),
            Some("抚远市自然资源局")
        );
        assert_eq!(
            agency_in_text("文登区住建局高度重视政府信息公开工作,坚持把").as_deref(),
            Some("文登区住建局")
        );
        assert_eq!(agency_in_text("2021年,我局认真贯彻《条例》"), None);
        assert_eq!(agency_in_text("我局积极落实政府信息公开工作要求"), None);
    }
}
