//! Traditional-character mirrors of reports: the text the reader matches.
//!
//! Some mirror sites serve a report in traditional characters (`政府信息公開`),
//! some with pinyin glosses inside the words (`經(jīng)濟(jì)`). The glosses are
//! dropped; labels are matched in simplified characters, while names (the
//! agency) are given as the document spells them.

use regex::Regex;
use std::sync::LazyLock;

/// A pinyin gloss after a character: `(jīng)`, `（qū）`, with tone marks.
static GLOSS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(\p{Han})[(（]([a-zA-Z\u{00E0}-\u{00FC}\u{0100}-\u{01DC}\u{0300}-\u{036F}]{1,8})[)）]",
    )
    .expect("static regex")
});

/// Characters of the template's own words that exist only in traditional script.
const TRADITIONAL: &[char] = &['開', '請', '處', '數', '報', '況', '總', '關', '機', '議'];

/// The text as the document spells it (glosses dropped) and its simplified form;
/// the two have the same characters at the same positions.
pub struct Variant {
    pub display: String,
    pub simplified: String,
}

/// `None` when the text is already simplified and has no glosses.
pub fn normalise(text: &str) -> Option<Variant> {
    let traditional = text.chars().any(|c| TRADITIONAL.contains(&c));
    // A gloss carries a tone mark: plain ASCII in brackets is kept (`(a)`).
    let glossed = GLOSS.captures_iter(text).any(|c| !c[2].is_ascii());
    if !traditional && !glossed {
        return None;
    }
    let display = if glossed {
        GLOSS
            .replace_all(text, |c: &regex::Captures| {
                if c[2].is_ascii() {
                    c[0].to_string()
                } else {
                    c[1].to_string()
                }
            })
            .into_owned()
    } else {
        text.to_string()
    };
    let simplified = fast2s::convert(&display);
    Some(Variant {
        display,
        simplified,
    })
}

impl Variant {
    /// `found` (a piece of the simplified text) as the document spells it.
    pub fn respell(&self, found: &str) -> String {
        let Some(at) = self.simplified.find(found) else {
            return found.to_string();
        };
        let start = self.simplified[..at].chars().count();
        let len = found.chars().count();
        self.display.chars().skip(start).take(len).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traditional_text_and_glosses() {
        let v = normalise("乳山經(jīng)濟(jì)開發區(qū)2021年政府信息公開工作年度報告").unwrap();
        assert_eq!(v.display, "乳山經濟開發區2021年政府信息公開工作年度報告");
        assert_eq!(v.simplified, "乳山经济开发区2021年政府信息公开工作年度报告");
        assert_eq!(v.respell("乳山经济开发区"), "乳山經濟開發區");
        assert!(normalise("某局2021年政府信息公开工作年度报告(a)").is_none());
    }
}
