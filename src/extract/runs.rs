//! Table cells run together with no separator (`规章000`, `申请数量640020470`).
//!
//! Crawler text dumps of some portals print a whole table on one line with
//! the cells' text concatenated. Such a line is cut into labels and digit runs
//! ([`run_line`]); a run may hold several cells, and [`splits`] lists every way
//! to cut it into the row's cells (numbers never have a leading zero). The
//! reader keeps a split only when exactly one satisfies the template's
//! arithmetic: a wrong number is worse than a missing one.

use super::tokens::{Tok, norm, parse_number};
use regex::Regex;
use serde_json::Number;
use std::sync::LazyLock;

/// A digit run glued to the text on both sides: `章000行`, `量 640020470二`.
/// Digits before a unit or date character (`227条`, `2021年`) are prose.
static GLUED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[\p{Han}）)”\s]\d{3,}[\p{Han}（(]").expect("static regex"));

/// Characters after which a number belongs to running text, not a table cell.
const PROSE_UNITS: &str = "年月日号时分秒件条个项次万亿余家人份起名户篇期批类届点宗";

/// A run-together line holds several glued runs that are not prose numbers.
pub fn is_run_line(line: &str) -> bool {
    if line.len() < 60 {
        return false;
    }
    let glued = GLUED
        .find_iter(line)
        .filter(|m| {
            let last = m.as_str().chars().last().unwrap_or(' ');
            !PROSE_UNITS.contains(last)
        })
        .count();
    glued >= 4
}

/// Part 二 row names: a label that ends with one is split before it, so the
/// row label stands alone as in a ruled table (`…现行有效件数规章` → `规章`).
const PART2_ROWS: &[&str] = &[
    "其他对外管理服务事项",
    "行政规范性文件",
    "行政事业性收费",
    "政府集中采购",
    "规范性文件",
    "行政许可",
    "行政处罚",
    "行政强制",
    "规章",
];

/// Tokens of a run-together line: labels (cut at whitespace, at numbered
/// headings and before part 二 row names) and [`Tok::Run`]s of digits.
pub fn run_line(line: &str, out: &mut Vec<Tok>) {
    for word in line.split_whitespace() {
        let chars: Vec<char> = word.chars().collect();
        let mut label = String::new();
        let mut i = 0;
        while i < chars.len() {
            if let Some(end) = run_at(&chars, i) {
                push_label(&mut label, out);
                out.push(Tok::Run(chars[i..end].iter().collect()));
                i = end;
            } else {
                if i > 0 && heading_starts(&chars, i) {
                    push_label(&mut label, out);
                }
                label.push(chars[i]);
                i += 1;
            }
        }
        push_label(&mut label, out);
    }
}

fn push_label(label: &mut String, out: &mut Vec<Tok>) {
    if label.is_empty() {
        return;
    }
    let n = norm(label);
    label.clear();
    if n.is_empty() {
        return;
    }
    if let Some(row) = PART2_ROWS
        .iter()
        .find(|r| n.ends_with(*r) && n.len() > r.len())
    {
        let head = &n[..n.len() - row.len()];
        // `行政规范性文件` is one name, not `行政` + `规范性文件`.
        if !head.ends_with("行政") {
            out.push(Tok::Label(head.to_string()));
            out.push(Tok::Label(row.to_string()));
            return;
        }
    }
    out.push(Tok::Label(n));
}

/// `一、` / `(三)` / `（三）` at `i` (not `第(一)项`): a numbered heading starts a new label.
fn heading_starts(chars: &[char], i: usize) -> bool {
    const NUMERALS: &str = "一二三四五六七八九十";
    let c = chars[i];
    if NUMERALS.contains(c) && chars.get(i + 1) == Some(&'、') {
        return !NUMERALS.contains(chars[i - 1]);
    }
    matches!(c, '(' | '（')
        && chars[i - 1] != '第'
        && chars.get(i + 1).is_some_and(|&d| NUMERALS.contains(d))
        && matches!(chars.get(i + 2), Some(')' | '）'))
}

/// The end of a digit run starting at `i`, if one starts there. A run is
/// digits (with a decimal point between digits, and `-` signs that start a
/// cell), optionally ending in 元/万元. The last digit before `.`/`、` and a
/// non-digit is an item number (`00000002.其他…` → run `0000000`, label `2.其他…`).
fn run_at(chars: &[char], i: usize) -> Option<usize> {
    let digit = |k: usize| chars.get(k).is_some_and(char::is_ascii_digit);
    let starts = digit(i) || chars[i] == '-' && digit(i + 1);
    if !starts || i > 0 && (digit(i - 1) || chars[i - 1] == '第') {
        return None;
    }
    let mut j = i;
    while j < chars.len() {
        let c = chars[j];
        let decimal_point = c == '.' && j > i && digit(j - 1) && digit(j + 1);
        let sign = c == '-' && digit(j + 1);
        if !(c.is_ascii_digit() || decimal_point || sign) {
            break;
        }
        j += 1;
    }
    // Digits before a unit or date character are running text.
    if chars
        .get(j)
        .is_some_and(|c| PROSE_UNITS.contains(*c) || *c == '%')
    {
        return None;
    }
    if matches!(chars.get(j), Some('.' | '、' | '．'))
        && !digit(j + 1)
        && chars.get(j + 1).is_some()
    {
        j -= 1;
    }
    if chars.get(j) == Some(&'元') {
        j += 1;
    } else if chars.get(j) == Some(&'万') && chars.get(j + 1) == Some(&'元') {
        j += 2;
    }
    (j > i && chars[i..j].iter().any(char::is_ascii_digit)).then_some(j)
}

/// One way to cut runs into cells: the cells' tokens (values, or amounts
/// with their unit) and their numeric values for the arithmetic.
pub type Split = (Vec<Tok>, Vec<f64>);

/// How many candidate cuts are looked at before a run counts as unplaceable.
const MAX_VISITS: usize = 200_000;
/// More valid splits than this are not told apart.
const MAX_SPLITS: usize = 256;

/// Every cut of `runs` (in order) into exactly `n` cells that satisfies
/// `ok`; `None` when there are too many to list.
/// An empty run is one blank cell.
pub fn splits<S: AsRef<str>>(
    runs: &[S],
    n: usize,
    ok: &dyn Fn(&[f64]) -> bool,
) -> Option<Vec<Split>> {
    let parsed: Vec<(Vec<char>, &str)> = runs
        .iter()
        .map(|r| {
            let r = r.as_ref();
            let (body, unit) = if let Some(b) = r.strip_suffix("万元") {
                (b, "万元")
            } else if let Some(b) = r.strip_suffix('元') {
                (b, "元")
            } else {
                (r, "")
            };
            (body.chars().collect(), unit)
        })
        .collect();
    let mut st = State {
        runs: &parsed,
        n,
        ok,
        pieces: Vec::with_capacity(n),
        found: Vec::new(),
        visits: 0,
        overflow: false,
    };
    st.walk(0, 0);
    (!st.overflow).then_some(st.found)
}

struct State<'a> {
    runs: &'a [(Vec<char>, &'a str)],
    n: usize,
    ok: &'a dyn Fn(&[f64]) -> bool,
    pieces: Vec<(String, &'a str)>,
    found: Vec<Split>,
    visits: usize,
    overflow: bool,
}

impl State<'_> {
    fn walk(&mut self, run: usize, pos: usize) {
        self.visits += 1;
        if self.overflow || self.visits > MAX_VISITS {
            self.overflow = true;
            return;
        }
        if run == self.runs.len() {
            if self.pieces.len() == self.n {
                self.accept();
            }
            return;
        }
        let (chars, unit) = &self.runs[run];
        // Each later run needs at least one cell.
        let later = self.runs.len() - run - 1;
        if self.pieces.len() + 1 + later > self.n {
            return;
        }
        if chars.is_empty() {
            self.pieces.push((String::new(), ""));
            self.walk(run + 1, 0);
            self.pieces.pop();
            return;
        }
        for end in pos + 1..=chars.len() {
            let piece: String = chars[pos..end].iter().collect();
            // A sign starts a cell: a piece may not run past the next `-`.
            if piece[1..].contains('-') {
                break;
            }
            if !valid_piece(&piece) || end < chars.len() && chars[end] == '.' {
                continue;
            }
            let last = end == chars.len();
            self.pieces.push((piece, if last { unit } else { "" }));
            if last {
                self.walk(run + 1, 0);
            } else {
                self.walk(run, end);
            }
            self.pieces.pop();
            if self.overflow {
                return;
            }
        }
    }

    fn accept(&mut self) {
        let mut toks = Vec::with_capacity(self.n);
        let mut vals = Vec::with_capacity(self.n);
        for (p, unit) in &self.pieces {
            if p.is_empty() {
                // A blank cell counts as 0 in the rules, as everywhere.
                toks.push(Tok::Blank);
                vals.push(0.0);
                continue;
            }
            let Some(num) = parse_number(p) else { return };
            vals.push(num.as_f64().unwrap_or(f64::NAN));
            toks.push(if unit.is_empty() {
                Tok::Value(num)
            } else {
                Tok::Amount(format!("{p}{unit}"))
            });
        }
        if (self.ok)(&vals) {
            if self.found.len() >= MAX_SPLITS {
                self.overflow = true;
                return;
            }
            self.found.push((toks, vals));
        }
    }
}

/// A number as printed in a cell: no leading zero, a decimal point only
/// between digits, a sign only in front.
fn valid_piece(p: &str) -> bool {
    let body = p.strip_prefix('-').unwrap_or(p);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(int)
        && (int == "0" || !int.starts_with('0'))
        && frac.is_none_or(digits)
        && !(p.starts_with('-') && body.bytes().all(|b| b == b'0' || b == b'.'))
}

/// Rule 3 on a part 三 row: the total is the sum of the six applicant columns.
pub fn row_adds_up(v: &[f64]) -> bool {
    v.len() == 7 && (v[..6].iter().sum::<f64>() - v[6]).abs() < 1e-6
}

/// Rule 4 on the fifteen part 四 cells: each group's total is the sum of its four.
pub fn review_adds_up(v: &[f64]) -> bool {
    v.len() == 15
        && v.chunks(5)
            .all(|g| (g[..4].iter().sum::<f64>() - g[4]).abs() < 1e-6)
}

/// The values of a unique split, as numbers for a part 三/四 row.
pub fn values(split: &Split) -> Vec<Option<Number>> {
    split
        .0
        .iter()
        .map(|t| match t {
            Tok::Value(n) => Some(n.clone()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(runs: &[&str], n: usize) -> Vec<Vec<f64>> {
        splits(runs, n, &|_| true)
            .unwrap()
            .into_iter()
            .map(|s| s.1)
            .collect()
    }

    #[test]
    fn zeros_are_single_cells() {
        assert_eq!(all(&["000"], 3), vec![vec![0.0; 3]]);
        assert_eq!(all(&["023"], 2), vec![vec![0.0, 23.0]]);
        assert!(all(&["00"], 1).is_empty());
    }

    #[test]
    fn rule_3_picks_the_one_split() {
        let s = splits(&["640020470"], 7, &row_adds_up).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].1, vec![64.0, 0.0, 0.0, 2.0, 0.0, 4.0, 70.0]);
        // Two rule-3 splits: the row alone cannot tell them apart.
        assert_eq!(splits(&["270020130"], 7, &row_adds_up).unwrap().len(), 2);
        let s = splits(&["20", "0", "00", "0", "121"], 7, &row_adds_up).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].1, vec![20.0, 0.0, 0.0, 0.0, 0.0, 1.0, 21.0]);
    }

    #[test]
    fn rule_4_over_the_three_groups() {
        let s = splits(&["25380363300630003"], 15, &review_adds_up).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].1[..5], [25.0, 3.0, 8.0, 0.0, 36.0]);
    }

    #[test]
    fn signs_decimals_and_units() {
        assert_eq!(all(&["35-15"], 2), vec![vec![35.0, -15.0]]);
        assert_eq!(all(&["24252.311082"], 1), vec![vec![24252.311082]]);
        let s = splits(&["135.5元"], 1, &|_| true).unwrap();
        assert_eq!(s[0].0, vec![Tok::Amount("135.5元".into())]);
        assert!(all(&["2648-18538"], 3).len() > 1);
        // A blank cell between runs stays blank.
        let s = splits(&["3", "", "03"], 4, &|_| true).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].0[1], Tok::Blank);
    }

    #[test]
    fn a_run_together_line_is_cut_into_labels_and_runs() {
        let line = "第二十条第（一）项信息内容本年制发件数规章000行政规范性文件693665（三）不予公开1.属于国家秘密00000002.其他法律行政法规禁止公开0000000 四、政府信息公开行政复议、行政诉讼情况";
        assert!(is_run_line(
            "规章000行政规范性文件693665第二十条一、本年新收政府信息公开申请数量640020470二、上年结转政府信息公开申请数量0000000三、本年度办理结果"
        ));
        let mut out = Vec::new();
        run_line(line, &mut out);
        let run = |s: &str| Tok::Run(s.into());
        let label = |s: &str| Tok::Label(s.into());
        assert_eq!(
            out,
            vec![
                label("第二十条第(一)项信息内容本年制发件数"),
                label("规章"),
                run("000"),
                label("行政规范性文件"),
                run("693665"),
                label("(三)不予公开1.属于国家秘密"),
                run("0000000"),
                label("2.其他法律行政法规禁止公开"),
                run("0000000"),
                label("四、政府信息公开行政复议、行政诉讼情况"),
            ]
        );
        assert!(!is_run_line(
            "2021年，本机关共收到申请70件，办结69件，主动公开政府信息227条，其中工作动态85条，公告公示21条。"
        ));
    }
}
