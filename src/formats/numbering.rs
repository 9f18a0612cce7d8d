//! Word's automatic list numbering (`word/numbering.xml`) rendered as text,
//! so a heading numbered by Word reads "一、总体情况" like a typed one.
//!
//! The number is not in `document.xml`: a paragraph only names a list
//! (`w:numId`) and a level (`w:ilvl`); the format and the counter come from
//! the numbering part. Counters run per list, and a level resets the levels
//! below it, as Word does.

use super::ooxml::{attr, attr_num};
use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

#[derive(Debug, Clone)]
struct Level {
    start: u32,
    format: String,
    text: String,
    suffix: String,
}

#[derive(Debug, Default)]
pub(crate) struct Numbering {
    /// numId → abstractNumId
    nums: HashMap<u32, u32>,
    /// numId → level → start override
    overrides: HashMap<(u32, u32), u32>,
    /// (abstractNumId, ilvl) → level
    levels: HashMap<(u32, u32), Level>,
    /// numId → current counters, by level
    counters: HashMap<u32, Vec<Option<u32>>>,
    /// styleId → (numId, ilvl, basedOn) from `styles.xml`: headings numbered
    /// through their style carry no `w:numPr` of their own.
    styles: HashMap<String, StyleList>,
}

/// A paragraph style's list reference.
#[derive(Debug, Default, Clone)]
struct StyleList {
    num: Option<u32>,
    level: Option<u32>,
    based_on: Option<String>,
}

fn attr_u32(e: &BytesStart<'_>, name: &str) -> Option<u32> {
    attr_num(e, name)
}

const MAX_LEVEL: u32 = 9;

impl Numbering {
    /// Read `numbering.xml`; whatever cannot be read is left out (the
    /// paragraphs then go unnumbered, as in a reader without numbering).
    pub(crate) fn parse(xml: &str) -> Numbering {
        let mut n = Numbering::default();
        let mut reader = Reader::from_str(xml);
        reader.config_mut().expand_empty_elements = true;
        let mut abstract_id: Option<u32> = None;
        let mut num_id: Option<u32> = None;
        let mut level: Option<(u32, Level)> = None;
        let mut override_level: Option<u32> = None;
        while let Ok(event) = reader.read_event() {
            match event {
                Event::Start(e) => match e.name().as_ref() {
                    "w:abstractNum" => abstract_id = attr_u32(&e, "w:abstractNumId"),
                    "w:num" => num_id = attr_u32(&e, "w:numId"),
                    "w:abstractNumId" => {
                        if let (Some(num), Some(abs)) = (num_id, attr_u32(&e, "w:val")) {
                            n.nums.insert(num, abs);
                        }
                    }
                    "w:lvlOverride" => override_level = attr_u32(&e, "w:ilvl"),
                    "w:startOverride" => {
                        if let (Some(num), Some(l), Some(v)) =
                            (num_id, override_level, attr_u32(&e, "w:val"))
                        {
                            n.overrides.insert((num, l), v);
                        }
                    }
                    "w:lvl" if abstract_id.is_some() => {
                        level = attr_u32(&e, "w:ilvl").filter(|&l| l < MAX_LEVEL).map(|l| {
                            (
                                l,
                                Level {
                                    start: 1,
                                    format: "decimal".into(),
                                    text: String::new(),
                                    suffix: "tab".into(),
                                },
                            )
                        });
                    }
                    "w:start" => {
                        if let (Some((_, lv)), Some(v)) = (level.as_mut(), attr_u32(&e, "w:val")) {
                            lv.start = v;
                        }
                    }
                    "w:numFmt" => {
                        if let (Some((_, lv)), Some(v)) = (level.as_mut(), attr(&e, "w:val")) {
                            lv.format = v;
                        }
                    }
                    "w:lvlText" => {
                        if let (Some((_, lv)), Some(v)) = (level.as_mut(), attr(&e, "w:val")) {
                            lv.text = v;
                        }
                    }
                    "w:suff" => {
                        if let (Some((_, lv)), Some(v)) = (level.as_mut(), attr(&e, "w:val")) {
                            lv.suffix = v;
                        }
                    }
                    _ => {}
                },
                Event::End(e) => match e.name().as_ref() {
                    "w:lvl" => {
                        if let (Some(abs), Some((l, lv))) = (abstract_id, level.take()) {
                            n.levels.insert((abs, l), lv);
                        }
                    }
                    "w:abstractNum" => abstract_id = None,
                    "w:num" => num_id = None,
                    _ => {}
                },
                Event::Eof => break,
                _ => {}
            }
        }
        n
    }

    /// Whether any numbered list is defined at all.
    pub(crate) fn has_lists(&self) -> bool {
        !self.nums.is_empty()
    }

    /// Read the list references of paragraph styles from `styles.xml`.
    pub(crate) fn add_styles(&mut self, xml: &str) {
        let mut reader = Reader::from_str(xml);
        reader.config_mut().expand_empty_elements = true;
        let mut current: Option<(String, StyleList)> = None;
        while let Ok(event) = reader.read_event() {
            match event {
                Event::Start(e) => match e.name().as_ref() {
                    "w:style" => {
                        current = attr(&e, "w:styleId").map(|id| (id, StyleList::default()));
                    }
                    "w:basedOn" => {
                        if let Some((_, c)) = current.as_mut() {
                            c.based_on = attr(&e, "w:val");
                        }
                    }
                    "w:numId" => {
                        if let Some((_, c)) = current.as_mut() {
                            c.num = attr_u32(&e, "w:val");
                        }
                    }
                    "w:ilvl" => {
                        if let Some((_, c)) = current.as_mut() {
                            c.level = attr_u32(&e, "w:val");
                        }
                    }
                    _ => {}
                },
                Event::End(e) if e.name().as_ref() == "w:style" => {
                    if let Some((id, list)) = current.take() {
                        self.styles.insert(id, list);
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
    }

    /// The list (numId, ilvl) a paragraph style numbers its paragraphs in,
    /// following `w:basedOn`.
    pub(crate) fn style_list(&self, style: &str) -> (Option<u32>, Option<u32>) {
        let (mut num, mut lvl) = (None, None);
        let mut id = Some(style.to_string());
        for _ in 0..16 {
            let Some(list) = id.as_ref().and_then(|i| self.styles.get(i)) else {
                break;
            };
            num = num.or(list.num);
            lvl = lvl.or(list.level);
            id = list.based_on.clone();
        }
        (num, lvl)
    }

    /// The label of the next paragraph of list `num_id` at level `ilvl`
    /// (advancing the counter), or `None` for bullets and unknown lists.
    pub(crate) fn next_label(&mut self, num_id: u32, ilvl: u32) -> Option<String> {
        let abs = *self.nums.get(&num_id)?;
        let ilvl = ilvl.min(MAX_LEVEL - 1);
        let this = self.levels.get(&(abs, ilvl))?.clone();
        if this.format == "bullet" || this.format == "none" {
            return None;
        }
        let start_of = |n: &Numbering, l: u32| {
            n.overrides
                .get(&(num_id, l))
                .copied()
                .or_else(|| n.levels.get(&(abs, l)).map(|lv| lv.start))
                .unwrap_or(1)
        };
        let start = start_of(self, ilvl);
        let counters = self
            .counters
            .entry(num_id)
            .or_insert_with(|| vec![None; MAX_LEVEL as usize]);
        let i = ilvl as usize;
        counters[i] = Some(counters[i].map_or(start, |c| c.saturating_add(1)));
        for c in counters.iter_mut().skip(i + 1) {
            *c = None;
        }
        let counters = counters.clone();
        let mut label = String::new();
        let mut chars = this.text.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '%'
                && let Some(d) = chars.peek().and_then(|d| d.to_digit(10))
                && (1..=MAX_LEVEL).contains(&d)
            {
                chars.next();
                let l = d - 1;
                let value = counters[l as usize].unwrap_or_else(|| start_of(self, l));
                let format = self
                    .levels
                    .get(&(abs, l))
                    .map(|lv| lv.format.as_str())
                    .unwrap_or("decimal");
                label.push_str(&format_number(value, format));
            } else {
                label.push(c);
            }
        }
        if this.suffix != "nothing" && label.chars().last().is_some_and(|c| c.is_ascii()) {
            label.push(' ');
        }
        Some(label)
    }
}

fn chinese(n: u32) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => DIGITS[n as usize].to_string(),
        10..=19 => format!(
            "十{}",
            if n == 10 {
                ""
            } else {
                DIGITS[(n - 10) as usize]
            }
        ),
        20..=99 => format!(
            "{}十{}",
            DIGITS[(n / 10) as usize],
            if n.is_multiple_of(10) {
                ""
            } else {
                DIGITS[(n % 10) as usize]
            }
        ),
        _ => n.to_string(),
    }
}

fn letters(n: u32, base: u8) -> String {
    // Word repeats the letter past z: aa, bbb, …
    let n = n.max(1) - 1;
    let c = (base + (n % 26) as u8) as char;
    std::iter::repeat_n(c, (n / 26 + 1) as usize).collect()
}

fn roman(mut n: u32) -> String {
    const TABLE: [(u32, &str); 13] = [
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ];
    let mut out = String::new();
    for (v, s) in TABLE {
        while n >= v {
            out.push_str(s);
            n -= v;
        }
    }
    out
}

fn format_number(n: u32, format: &str) -> String {
    match format {
        "chineseCounting"
        | "chineseCountingThousand"
        | "chineseLegalSimplified"
        | "japaneseCounting"
        | "taiwaneseCounting"
        | "taiwaneseCountingThousand"
        | "ideographDigital" => chinese(n),
        "decimalFullWidth" | "decimalFullWidth2" => n
            .to_string()
            .chars()
            .filter_map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32))
            .collect(),
        "decimalEnclosedCircle" | "decimalEnclosedCircleChinese" if (1..=20).contains(&n) => {
            char::from_u32('①' as u32 + n - 1).map_or_else(|| n.to_string(), String::from)
        }
        "decimalZero" if n < 10 => format!("0{n}"),
        "lowerLetter" => letters(n, b'a'),
        "upperLetter" => letters(n, b'A'),
        "lowerRoman" => roman(n),
        "upperRoman" => roman(n).to_uppercase(),
        _ => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = r#"<w:numbering xmlns:w="x">
      <w:abstractNum w:abstractNumId="0">
        <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>
        <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>
        <w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%3."/><w:suff w:val="nothing"/></w:lvl>
      </w:abstractNum>
      <w:abstractNum w:abstractNumId="1">
        <w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/><w:lvlText w:val="•"/></w:lvl>
      </w:abstractNum>
      <w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>
      <w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>
      <w:num w:numId="3"><w:abstractNumId w:val="0"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="3"/></w:lvlOverride></w:num>
    </w:numbering>"#;

    #[test]
    fn counters_formats_and_resets() {
        let mut n = Numbering::parse(XML);
        assert_eq!(n.next_label(1, 0).as_deref(), Some("一、"));
        assert_eq!(n.next_label(1, 1).as_deref(), Some("（一）"));
        assert_eq!(n.next_label(1, 1).as_deref(), Some("（二）"));
        assert_eq!(n.next_label(1, 2).as_deref(), Some("1."));
        assert_eq!(n.next_label(1, 0).as_deref(), Some("二、"));
        assert_eq!(n.next_label(1, 1).as_deref(), Some("（一）"));
        assert_eq!(n.next_label(2, 0), None);
        assert_eq!(n.next_label(3, 0).as_deref(), Some("三、"));
        assert_eq!(n.next_label(9, 0), None);
    }

    #[test]
    fn heading_styles_number_through_based_on() {
        let mut n = Numbering::parse(XML);
        n.add_styles(concat!(
            r#"<w:styles><w:style w:styleId="1"><w:pPr><w:numPr><w:numId w:val="1"/></w:numPr></w:pPr></w:style>"#,
            r#"<w:style w:styleId="2"><w:basedOn w:val="1"/><w:pPr><w:numPr><w:ilvl w:val="1"/></w:numPr></w:pPr></w:style>"#,
            r#"<w:style w:styleId="a"/></w:styles>"#
        ));
        assert_eq!(n.style_list("1"), (Some(1), None));
        assert_eq!(n.style_list("2"), (Some(1), Some(1)));
        assert_eq!(n.style_list("a"), (None, None));
        assert_eq!(n.style_list("missing"), (None, None));
    }

    #[test]
    fn number_formats() {
        assert_eq!(chinese(10), "十");
        assert_eq!(chinese(11), "十一");
        assert_eq!(chinese(20), "二十");
        assert_eq!(chinese(23), "二十三");
        assert_eq!(format_number(3, "decimalEnclosedCircle"), "③");
        assert_eq!(format_number(12, "decimalFullWidth"), "１２");
        assert_eq!(format_number(4, "upperRoman"), "IV");
        assert_eq!(format_number(28, "lowerLetter"), "bb");
    }
}
