//! Reads parts 二/三/四 from the token stream against the template's row lists.
//!
//! Labels are matched loosely (normalised text, key phrases) and in template
//! order, so label variants and split labels do not matter; numbers are then
//! assigned by position. Whatever is inferred rather than read is named in a
//! warning.

use super::runs;
use super::tokens::Tok;
use super::{
    ACTIVE_ROWS_2019, ACTIVE_ROWS_2021, APPLICANT_COLUMNS, APPLICATION_ROWS_2019,
    APPLICATION_ROWS_2021, PartStatus, REVIEW_FIELDS, REVIEW_GROUPS, Template,
};
use serde_json::{Number, Value};
use std::collections::BTreeMap;

/// Part 二 values: row key → field → number, or an amount as written (procurement).
pub type ActiveDisclosure = BTreeMap<String, BTreeMap<String, Value>>;
/// Part 三 values: row key → one value per [`APPLICANT_COLUMNS`](crate::extract::APPLICANT_COLUMNS) entry, blank as `None`.
pub type Applications = BTreeMap<String, Vec<Option<Number>>>;
/// Part 四 values: group → field → number, blank as `None`.
pub type ReviewLitigation = BTreeMap<String, BTreeMap<String, Option<Number>>>;

#[derive(Debug, Default)]
pub struct Parts {
    pub template: Option<Template>,
    pub active: ActiveDisclosure,
    pub active_status: Option<PartStatus>,
    pub applications: Applications,
    pub applications_status: Option<PartStatus>,
    pub review: ReviewLitigation,
    pub review_status: Option<PartStatus>,
    pub warnings: Vec<String>,
    /// Why a part is not complete, one phrase per problem.
    pub problems: Vec<String>,
}

fn label(t: &Tok) -> Option<&str> {
    match t {
        Tok::Label(s) => Some(s),
        _ => None,
    }
}

fn short(s: &str, max: usize) -> bool {
    s.chars().count() <= max
}

fn is_part2_heading(s: &str) -> bool {
    (short(s, 30) || s.starts_with("二、主动公开政府信息情况"))
        && s.contains("主动公开")
        && (s.starts_with('二') || s.contains("主动公开政府信息情况"))
}
fn is_part3_heading(s: &str) -> bool {
    short(s, 40) && s.contains("收到和处理政府信息公开申请")
}
fn is_part4_heading(s: &str) -> bool {
    // A heading run together with the table header after it is long; `复议`
    // alone also matches a misspelt `行政法复议`.
    (short(s, 40) || s.starts_with("四、"))
        && s.contains("复议")
        && s.contains("行政诉讼")
        && s.contains("情况")
}
fn is_part5_heading(s: &str) -> bool {
    short(s, 40) && (s.starts_with('五') && (s.contains("问题") || s.contains("改进")))
        || s.starts_with("五、存在")
}

fn find(toks: &[Tok], from: usize, pred: impl Fn(&str) -> bool) -> Option<usize> {
    toks.iter()
        .enumerate()
        .skip(from)
        .find(|(_, t)| label(t).is_some_and(&pred))
        .map(|(i, _)| i)
}

/// Where each part's tokens are: headings first, then the tables' own first labels.
struct Sections {
    p2: Option<(usize, usize)>,
    p3: Option<(usize, usize)>,
    p4: Option<(usize, usize)>,
}

fn sections(toks: &[Tok]) -> Sections {
    let p2 = find(toks, 0, is_part2_heading).or_else(|| {
        find(toks, 0, |s| {
            s.starts_with("第二十条第(一)项") || s.starts_with("第十七条")
        })
    });
    let p3 = find(toks, p2.unwrap_or(0), is_part3_heading).or_else(|| {
        find(toks, p2.unwrap_or(0), |s| {
            s.contains("勾稽关系") || s.contains("本年新收")
        })
    });
    let p4_from = p3.or(p2).unwrap_or(0);
    let p4 = find(toks, p4_from, is_part4_heading).or_else(|| {
        let from = find(toks, p4_from, |s| s.contains("结转下年度")).unwrap_or(p4_from);
        find(toks, from, |s| s == "行政复议")
    });
    let end_from = p4.or(p3).or(p2).unwrap_or(0);
    let end = find(toks, end_from, is_part5_heading).unwrap_or(toks.len());
    let starts = [p2, p3, p4];
    let range = |i: usize| {
        let start = starts[i]?;
        let stop = starts[i + 1..]
            .iter()
            .flatten()
            .copied()
            .find(|&s| s > start)
            .unwrap_or(end.max(start));
        Some((start, stop.max(start)))
    };
    Sections {
        p2: range(0),
        p3: range(1),
        p4: range(2),
    }
}

/// 2019 or 2021 template, from the labels only the one template has.
fn detect_template(toks: &[Tok], s: &Sections) -> Option<Template> {
    let labels = |r: Option<(usize, usize)>| {
        r.map(|(a, b)| &toks[a..b])
            .unwrap_or(&[])
            .iter()
            .filter_map(label)
            .collect::<Vec<_>>()
    };
    let p2 = labels(s.p2);
    let p3 = labels(s.p3);
    let any = |ls: &[&str], keys: &[&str]| ls.iter().any(|l| keys.iter().any(|k| l.contains(k)));
    if any(
        &p2,
        &[
            "新制作",
            "新公开数量",
            "政府集中采购",
            "上一年项目数量",
            "其他对外管理服务",
        ],
    ) {
        return Some(Template::T2019);
    }
    if any(&p2, &["本年制发件数", "现行有效件数", "本年处理决定数量"])
        || any(&p3, &["逾期不补正", "缴纳费用"])
    {
        return Some(Template::T2021);
    }
    if any(&p3, &["其他处理"]) {
        return Some(Template::T2019);
    }
    if s.p2.is_some() || s.p3.is_some() || s.p4.is_some() {
        return Some(Template::T2021);
    }
    None
}

/// The value cells after position `i` up to the next label (row ends are ignored).
fn cells_after(toks: &[Tok], i: usize, end: usize) -> (Vec<Tok>, usize) {
    let mut cells = Vec::new();
    let mut j = i;
    while j < end {
        match &toks[j] {
            Tok::Label(_) => break,
            Tok::RowEnd => {}
            t => cells.push(t.clone()),
        }
        j += 1;
    }
    (cells, j)
}

fn num_of(t: &Tok) -> Option<Number> {
    match t {
        Tok::Value(n) => Some(n.clone()),
        _ => None,
    }
}

pub fn read(toks: &[Tok]) -> Parts {
    let s = sections(toks);
    let template = detect_template(toks, &s);
    let mut parts = Parts {
        template,
        ..Parts::default()
    };
    let Some(template) = template else {
        return parts;
    };
    if let Some((a, b)) = s.p2 {
        read_active(&toks[a..b], template, &mut parts);
    } else {
        parts.active_status = Some(PartStatus::Missing);
        parts.problems.push("part 二 not found".into());
    }
    if let Some((a, b)) = s.p3 {
        read_applications(&toks[a..b], template, &mut parts);
    } else {
        parts.applications_status = Some(PartStatus::Missing);
        parts.problems.push("part 三 not found".into());
    }
    if let Some((a, b)) = s.p4 {
        read_review(&toks[a..b], b == toks.len(), &mut parts);
    } else {
        parts.review_status = Some(PartStatus::Missing);
        parts.problems.push("part 四 not found".into());
    }
    parts
}

fn active_label_matches(key: &str, l: &str, template: Template) -> bool {
    let l = l.trim_end_matches([':', '：']);
    match key {
        "rules" => l == "规章",
        "normative_documents" => match template {
            Template::T2021 => l == "行政规范性文件" || l == "规范性文件",
            Template::T2019 => l == "规范性文件" || l == "行政规范性文件",
        },
        "licensing" => l == "行政许可",
        "other_services" => l.starts_with("其他对外管理服务"),
        "penalty" => l == "行政处罚",
        "enforcement" => l == "行政强制",
        "fees" => l == "行政事业性收费",
        "procurement" => l == "政府集中采购",
        _ => false,
    }
}

fn read_active(toks: &[Tok], template: Template, parts: &mut Parts) {
    let rows = match template {
        Template::T2021 => ACTIVE_ROWS_2021,
        Template::T2019 => ACTIVE_ROWS_2019,
    };
    let mut found = 0;
    let mut complete = true;
    for (key, fields) in rows {
        let mut values: BTreeMap<String, Value> = fields
            .iter()
            .map(|f| (f.to_string(), Value::Null))
            .collect();
        let pos = toks
            .iter()
            .position(|t| label(t).is_some_and(|l| active_label_matches(key, l, template)));
        let Some(pos) = pos else {
            complete = false;
            parts.warnings.push(format!(
                "active_disclosure.{key}: row not found; values null"
            ));
            parts.active.insert(key.to_string(), values);
            continue;
        };
        found += 1;
        let (mut cells, _) = cells_after(toks, pos + 1, toks.len());
        if let Some(digits) = run_texts(&cells) {
            match unique_split(&digits, fields.len(), &|_| true) {
                Ok((split, _)) => cells = split.0,
                Err(why) => {
                    complete = false;
                    parts
                        .warnings
                        .push(format!("active_disclosure.{key}: {why}; values null"));
                    parts.problems.push(format!(
                        "part 二 row {key}: cells run together, not placeable"
                    ));
                    parts.active.insert(key.to_string(), values);
                    continue;
                }
            }
        }
        let nums: Vec<&Tok> = cells
            .iter()
            .filter(|t| matches!(t, Tok::Value(_) | Tok::Amount(_)))
            .collect();
        // Numbers for several rows (labels printed apart from their lines of numbers),
        // or fewer numbers than cells with the cells' positions lost: part 二 has no
        // arithmetic to place them. (A few extra numbers are the text after a cut row.)
        let stacked = nums.len() >= 2 * fields.len() && nums.len().is_multiple_of(fields.len());
        let unplaceable =
            stacked || fields.len() > 1 && !nums.is_empty() && cells.len() < fields.len();
        if unplaceable {
            complete = false;
            parts.warnings.push(format!(
                "active_disclosure.{key}: {} numbers for {} cells and no cell positions; values null",
                nums.len(),
                fields.len()
            ));
            parts
                .problems
                .push(format!("part 二 row {key}: numbers not placeable"));
            parts.active.insert(key.to_string(), values);
            continue;
        }
        let chosen: Vec<Option<&Tok>> = if nums.len() == fields.len() {
            nums.into_iter().map(Some).collect()
        } else {
            (0..fields.len()).map(|i| cells.get(i)).collect()
        };
        if cells.len() < fields.len() && nums_len(&cells) < fields.len() {
            complete = false;
            parts.problems.push(format!(
                "part 二 row {key}: {} of {} cells",
                cells.len(),
                fields.len()
            ));
        }
        for (field, tok) in fields.iter().zip(chosen) {
            let v = match tok {
                Some(Tok::Value(n)) if *key == "procurement" && *field == "amount" => {
                    Value::String(n.to_string())
                }
                Some(Tok::Value(n)) => Value::Number(n.clone()),
                Some(Tok::Amount(a)) if *field == "amount" => Value::String(a.clone()),
                // The fee column is in 万元: a figure written with that unit is the number.
                Some(Tok::Amount(a)) if *field == "amount_10k_yuan" && a.ends_with("万元") => a
                    .strip_suffix("万元")
                    .and_then(super::tokens::parse_number)
                    .map_or(Value::Null, Value::Number),
                Some(Tok::Amount(a)) => {
                    parts.warnings.push(format!(
                        "active_disclosure.{key}.{field}: '{a}' has a unit the column does not use; left null"
                    ));
                    Value::Null
                }
                _ => Value::Null,
            };
            values.insert(field.to_string(), v);
        }
        parts.active.insert(key.to_string(), values);
    }
    parts.active_status = Some(if found == 0 {
        PartStatus::Found
    } else if complete {
        PartStatus::Complete
    } else {
        PartStatus::Partial
    });
    if found == 0 {
        parts
            .problems
            .push("part 二: heading found, no table rows read".into());
    } else if found < rows.len() {
        parts
            .problems
            .push(format!("part 二: {found} of {} rows found", rows.len()));
    }
}

fn nums_len(cells: &[Tok]) -> usize {
    cells.iter().filter(|t| matches!(t, Tok::Value(_))).count()
}

fn application_label_matches(key: &str, l: &str) -> bool {
    let has = |k: &str| l.contains(k);
    match key {
        "new_received" => has("本年新收"),
        "carried_over" => has("上年结转"),
        "granted" => has("予以公开"),
        "partially_granted" => has("部分公开"),
        "denied_state_secret" => has("国家秘密"),
        "denied_prohibited_by_law" => has("禁止公开"),
        "denied_three_safeties" => has("三安全一稳定") || has("危及"),
        "denied_third_party" => has("第三方"),
        "denied_internal_affairs" => has("内部事务"),
        "denied_process_info" => has("过程性"),
        "denied_enforcement_file" => has("执法案卷"),
        "denied_query_matter" => has("查询事项"),
        "unavailable_not_held" => has("不掌握"),
        "unavailable_needs_creation" => has("另行制作"),
        "unavailable_unclear" => has("仍不明确"),
        "not_processed_petition" => has("信访") || has("举报投诉"),
        "not_processed_duplicate" => has("重复申请"),
        "not_processed_publication" => has("出版物"),
        "not_processed_excessive" => has("大量反复"),
        "not_processed_confirmation" => has("重新出具") || has("确认或"),
        "other_no_correction" => has("逾期不补正"),
        "other_unpaid_fee" => has("缴纳费用") || has("收费通知"),
        "other_other" => {
            let bare = l.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == '、');
            bare == "其他"
        }
        "other_processing" => has("其他处理"),
        "total_processed" => {
            has("总计") && (has("(七)") || has("七") || l == "总计" || has("(六)"))
        }
        "carried_forward" => has("结转下年度") || has("继续办理"),
        _ => false,
    }
}

/// How far ahead of the next expected row a generic label may match.
const LOOKAHEAD: usize = 4;

/// Rows whose labels also occur elsewhere in the table (column headers).
const GENERIC_ROWS: &[&str] = &["other_other", "total_processed", "other_processing"];

fn read_applications(toks: &[Tok], template: Template, parts: &mut Parts) {
    let rows = match template {
        Template::T2021 => APPLICATION_ROWS_2021,
        Template::T2019 => APPLICATION_ROWS_2019,
    };
    let mut next = 0;
    let mut sink = RowSink::default();
    let mut skipped_rows: Vec<String> = Vec::new();
    let mut current: Option<Pending> = None;
    for t in toks {
        match t {
            Tok::Label(l) => {
                // Rows are taken in template order. Labels as generic as 其他/总计 match
                // only near `next` (the column header has both); distinctive ones
                // anywhere after it, so rows a rendering dropped do not stop the reading.
                let hit = (next..rows.len()).find(|&r| {
                    (r < next + LOOKAHEAD || !GENERIC_ROWS.contains(&rows[r]))
                        && application_label_matches(rows[r], l)
                });
                if let Some(r) = hit {
                    match current.take() {
                        // A row label right after another one's: both wait for numbers.
                        Some(mut p) if p.orphan.is_none() && p.cells.is_empty() => {
                            skipped_rows.extend(rows[next..r].iter().map(|k| k.to_string()));
                            p.rows.push(r);
                            next = r + 1;
                            current = Some(p);
                            continue;
                        }
                        Some(p) if p.orphan.is_some() => {
                            if let Some(placed) = place_orphan(&p, rows, next, r, template, parts) {
                                sink.row(placed, &p.cells, parts);
                                if rows.get(next) == Some(&placed) {
                                    next += 1;
                                }
                            }
                        }
                        Some(p) => sink.pending(p, rows, parts),
                        None => {}
                    }
                    skipped_rows.extend(rows[next..r].iter().map(|k| k.to_string()));
                    next = r + 1;
                    current = Some(Pending::row(r));
                } else if current.as_ref().is_some_and(|p| !p.cells.is_empty()) {
                    // A stray label after a row's values (a split group label, the
                    // tail of a wrapped label, a misspelt row label) ends the row;
                    // before them it is the row label's continuation.
                    if let Some(p) = current.take() {
                        if let Some(o) = &p.orphan {
                            drop_orphan(o, parts);
                        } else {
                            sink.pending(p, rows, parts);
                        }
                    }
                    current = Some(Pending::orphan(l));
                }
            }
            Tok::RowEnd => {
                if let Some(p) = current.as_mut() {
                    if p.cells.is_empty() {
                        p.apart = true;
                    } else if p.line_ends.last() != Some(&p.cells.len()) {
                        p.line_ends.push(p.cells.len());
                    }
                }
            }
            cell => {
                if let Some(p) = current.as_mut() {
                    p.cells.push(cell.clone());
                }
            }
        }
    }
    if let Some(p) = current.take() {
        match &p.orphan {
            Some(o) if !p.cells.is_empty() => drop_orphan(o, parts),
            Some(_) => {}
            None => sink.pending(p, rows, parts),
        }
    }
    let RowSink {
        incomplete: mut incomplete_rows,
        read: read_rows,
        ambiguous,
    } = sink;
    for key in resolve_by_columns(template, ambiguous, parts) {
        incomplete_rows.push(key.to_string());
    }
    for skipped in skipped_rows {
        parts
            .warnings
            .push(format!("applications.{skipped}: row not found"));
        incomplete_rows.push(skipped);
    }
    for key in rows {
        if !parts.applications.contains_key(*key) {
            if !incomplete_rows.iter().any(|k| k == key) {
                incomplete_rows.push(key.to_string());
                if read_rows > 0 {
                    parts.warnings.push(format!(
                        "applications.{key}: row not found (table cut off?); values null"
                    ));
                }
            }
            parts
                .applications
                .insert(key.to_string(), vec![None; APPLICANT_COLUMNS.len()]);
        }
    }
    parts.applications_status = Some(if read_rows == 0 {
        PartStatus::Found
    } else if incomplete_rows.is_empty() {
        PartStatus::Complete
    } else {
        PartStatus::Partial
    });
    if read_rows == 0 {
        parts
            .problems
            .push("part 三: heading found, no table rows read".into());
    } else if !incomplete_rows.is_empty() {
        parts.problems.push(format!(
            "part 三: {} of {} rows complete (missing or short: {})",
            rows.len() - incomplete_rows.len(),
            rows.len(),
            incomplete_rows.join(", ")
        ));
    }
}

/// Assigns a row's cells to `n` columns. Returns the values, a note when the
/// assignment was inferred, and whether the row was read in full.
fn fit_row(cells: &[Tok], n: usize) -> (Vec<Option<Number>>, Option<String>, bool) {
    let (values, note, complete) = fit_row_inner(cells, n);
    // Grid padding among the cells read positionally: the source row stopped short.
    let pads = if nums_len(cells) >= n {
        0
    } else {
        cells.iter().take(n).filter(|t| **t == Tok::Pad).count()
    };
    if pads > 0 && note.is_none() {
        let note = format!(
            "{pads} trailing cell(s) missing in the source row (cut off or omitted); read as blank"
        );
        return (values, Some(note), false);
    }
    (values, note, complete)
}

fn fit_row_inner(cells: &[Tok], n: usize) -> (Vec<Option<Number>>, Option<String>, bool) {
    let nums: Vec<Number> = cells.iter().filter_map(num_of).collect();
    if nums.len() == n {
        return (nums.into_iter().map(Some).collect(), None, true);
    }
    if nums.len() > n {
        let extra = nums.len() - n;
        let note = format!(
            "{} numbers for {n} columns; the last {n} were read, {extra} surplus cell(s) dropped",
            nums.len()
        );
        return (
            nums[extra..].iter().cloned().map(Some).collect(),
            Some(note),
            true,
        );
    }
    if cells.len() == n {
        return (cells.iter().map(num_of).collect(), None, true);
    }
    let first = cells.iter().position(|t| matches!(t, Tok::Value(_)));
    let last = cells.iter().rposition(|t| matches!(t, Tok::Value(_)));
    // Blank cells collapsed after the numbers (seed 004's pipes) or dropped (PDF text):
    // the two numbers of an all-but-one-blank row are an applicant column and 总计.
    if n == 7
        && nums.len() == 2
        && cells.len() != n
        && let (Some(a), Some(b)) = (first, last)
        && b == a + 1
    {
        let mut v = vec![None; n];
        v[0] = Some(nums[0].clone());
        v[n - 1] = Some(nums[1].clone());
        let note =
            "blank cells collapsed; first number inferred as natural_person, second as total";
        return (v, Some(note.into()), true);
    }
    if cells.len() > n {
        if let (Some(a), Some(b)) = (first, last) {
            if b < n {
                return (cells[..n].iter().map(num_of).collect(), None, true);
            }
            if a >= cells.len() - n {
                return (
                    cells[cells.len() - n..].iter().map(num_of).collect(),
                    None,
                    true,
                );
            }
        }
        return (
            vec![None; n],
            Some(format!(
                "{} cells with {} numbers cannot be placed in {n} columns",
                cells.len(),
                nums.len()
            )),
            false,
        );
    }
    // Fewer numbers than columns and no cell positions: which cells are blank
    // is decided by the row's total (rule 3), and only when one placement fits.
    if (n == 7 || n == 15) && !nums.is_empty() && cells.iter().all(|t| matches!(t, Tok::Value(_))) {
        return place_by_total(&nums, n);
    }
    // Fewer cells than columns: the table was cut off; keep what was read.
    let mut v: Vec<Option<Number>> = cells.iter().map(num_of).collect();
    v.resize(n, None);
    let note = (!cells.is_empty()).then(|| format!("only {} of {n} cells present", cells.len()));
    (v, note.or(Some("no values".into())), false)
}

/// `at_end`: the section runs to the end of the text (a cut page may stop inside the table).
fn read_review(toks: &[Tok], at_end: bool, parts: &mut Parts) {
    let n = REVIEW_GROUPS.len() * REVIEW_FIELDS.len();
    // The numbers follow the last header label before the first number (page
    // text after the table, e.g. a footer when part 五 is missing, is not read).
    let first_value = toks
        .iter()
        .position(|t| matches!(t, Tok::Value(_) | Tok::Run(_)));
    let start = first_value.map_or(toks.len(), |v| {
        toks[..v]
            .iter()
            .rposition(|t| label(t).is_some())
            .map_or(0, |i| i + 1)
    });
    let (mut cells, stop) = cells_after(toks, start, toks.len());
    // The text stops inside the numbers: the groups shown in full are read.
    let cut = at_end && stop == toks.len();
    // Blank header cells left of/after the numbers are layout, unless they are needed to make 15.
    let blank = |t: Option<&Tok>| matches!(t, Some(Tok::Blank | Tok::Pad));
    while cells.len() > n && blank(cells.first()) {
        cells.remove(0);
    }
    while cells.len() > n && blank(cells.last()) {
        cells.pop();
    }
    if cells.iter().all(|t| blank(Some(t))) {
        cells.clear();
    }
    let (values, note, complete) = if cells.is_empty() {
        (vec![None; n], None, false)
    } else if cut && cells.len() < n && cells.iter().all(|t| matches!(t, Tok::Value(_))) {
        let whole = cells.len() / REVIEW_FIELDS.len() * REVIEW_FIELDS.len();
        let mut v: Vec<Option<Number>> = cells[..whole].iter().map(num_of).collect();
        v.resize(n, None);
        let note = format!(
            "the text stops after {} of {n} cells; the {} group(s) shown in full are read, the rest null",
            cells.len(),
            whole / REVIEW_FIELDS.len()
        );
        (v, Some(note), false)
    } else if let Some(digits) = run_texts(&cells) {
        match unique_split(&digits, n, &runs::review_adds_up) {
            Ok((split, note)) => (runs::values(&split), note, true),
            Err(why) => (vec![None; n], Some(format!("{why}; values null")), false),
        }
    } else {
        fit_row(&cells, n)
    };
    if let Some(note) = note {
        parts.warnings.push(format!("review_litigation: {note}"));
    }
    for (g, group) in REVIEW_GROUPS.iter().enumerate() {
        let m = REVIEW_FIELDS
            .iter()
            .enumerate()
            .map(|(f, field)| {
                (
                    field.to_string(),
                    values.get(g * REVIEW_FIELDS.len() + f).cloned().flatten(),
                )
            })
            .collect();
        parts.review.insert(group.to_string(), m);
    }
    parts.review_status = Some(if cells.is_empty() {
        PartStatus::Found
    } else if complete {
        PartStatus::Complete
    } else {
        PartStatus::Partial
    });
    if cells.is_empty() {
        parts
            .problems
            .push("part 四: heading found, no numbers read".into());
    } else if !complete {
        parts
            .problems
            .push(format!("part 四: {} of {n} cells read", cells.len().min(n)));
    }
}

/// The digit runs of a row whose cells ran together, if it has any: every
/// cell as printed (a single value is a run of one cell; a blank is `""`).
fn run_texts(cells: &[Tok]) -> Option<Vec<String>> {
    if !cells.iter().any(|t| matches!(t, Tok::Run(_))) {
        return None;
    }
    cells
        .iter()
        .map(|t| match t {
            Tok::Run(r) => Some(r.clone()),
            Tok::Value(n) => Some(n.to_string()),
            Tok::Blank | Tok::Pad => Some(String::new()),
            _ => None,
        })
        .collect()
}

/// Why run-together digits were not placed.
enum SplitError {
    /// No cut into the row's cells satisfies the arithmetic.
    None(String),
    /// Several do (kept for the column rules of part 三).
    Several(String, Vec<runs::Split>),
    /// Too many cuts to tell apart.
    TooMany(String),
}

impl std::fmt::Display for SplitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SplitError::None(d) => write!(f, "cells run together ('{d}'): no split fits"),
            SplitError::Several(d, c) => {
                write!(f, "cells run together ('{d}'): {} splits fit", c.len())
            }
            SplitError::TooMany(d) => write!(f, "cells run together ('{d}'): too many splits"),
        }
    }
}

/// The one cut of `digits` into `n` cells that satisfies `ok`, with a note
/// when the arithmetic (not the digits alone) decided it.
fn unique_split(
    digits: &[String],
    n: usize,
    ok: &dyn Fn(&[f64]) -> bool,
) -> Result<(runs::Split, Option<String>), SplitError> {
    let shown = digits.join(" ");
    let Some(mut found) = runs::splits(digits, n, ok) else {
        return Err(SplitError::TooMany(shown));
    };
    match found.len() {
        // A PDF may print a glyph twice (`00` for one 0 cell): read so only when
        // the row has as many runs as cells and then adds up.
        0 if digits.len() == n
            && digits
                .iter()
                .any(|d| d.len() > 1 && d.bytes().all(|b| b == b'0')) =>
        {
            let single: Vec<String> = digits
                .iter()
                .map(|d| {
                    if !d.is_empty() && d.bytes().all(|b| b == b'0') {
                        "0".to_string()
                    } else {
                        d.clone()
                    }
                })
                .collect();
            match runs::splits(&single, n, ok) {
                Some(mut one) if one.len() == 1 => Ok((
                    one.remove(0),
                    Some(format!(
                        "'{shown}': a doubled 0 read as one cell, the only reading that adds up"
                    )),
                )),
                _ => Err(SplitError::None(shown)),
            }
        }
        0 => Err(SplitError::None(shown)),
        1 => {
            let plain = runs::splits(digits, n, &|_| true).map_or(usize::MAX, |s| s.len());
            let note = (plain > 1).then(|| {
                format!("cells run together ('{shown}'): split by the table's arithmetic, the only one of {plain} cuts that adds up")
            });
            Ok((found.remove(0), note))
        }
        _ => Err(SplitError::Several(shown, found)),
    }
}

/// Most combinations of ambiguous rows tried against the column rules.
const MAX_COMBINATIONS: usize = 4096;

/// Part 三 rows whose digits split several ways by rule 3: the combination
/// that makes rule 2 (then rule 1) hold in every column, when exactly one
/// does. Returns the rows left null.
fn resolve_by_columns(
    template: Template,
    ambiguous: Vec<(&'static str, Vec<runs::Split>)>,
    parts: &mut Parts,
) -> Vec<&'static str> {
    if ambiguous.is_empty() {
        return Vec::new();
    }
    let combos = ambiguous
        .iter()
        .try_fold(1usize, |acc, (_, c)| acc.checked_mul(c.len()))
        .filter(|&c| c <= MAX_COMBINATIONS);
    let known = |key: &str, c: usize| -> Option<Option<f64>> {
        let v = parts.applications.get(key)?;
        Some(v.get(c).cloned().flatten().and_then(|n| n.as_f64()))
    };
    let mut fits_2 = Vec::new();
    let mut fits_1 = Vec::new();
    for k in 0..combos.unwrap_or(0) {
        // The k-th combination: one split per ambiguous row.
        let mut pick = Vec::with_capacity(ambiguous.len());
        let mut rest = k;
        for (_, cands) in &ambiguous {
            pick.push(rest % cands.len());
            rest /= cands.len();
        }
        let cell = |key: &str, c: usize| -> Option<f64> {
            if let Some(a) = ambiguous.iter().position(|(k, _)| *k == key) {
                return Some(ambiguous[a].1[pick[a]].1[c]);
            }
            known(key, c).flatten()
        };
        let holds = |left: &[&str], right: &[&str]| {
            (0..APPLICANT_COLUMNS.len()).all(|c| {
                let side = |keys: &[&str]| keys.iter().map(|k| cell(k, c)).sum::<Option<f64>>();
                matches!((side(left), side(right)), (Some(a), Some(b)) if (a - b).abs() < 1e-6)
            })
        };
        if holds(&["total_processed"], super::result_rows(template)) {
            fits_2.push(pick.clone());
            if holds(
                &["new_received", "carried_over"],
                &["total_processed", "carried_forward"],
            ) {
                fits_1.push(pick);
            }
        }
    }
    let chosen = match (fits_2.len(), fits_1.len()) {
        (1, _) => Some((
            fits_2.remove(0),
            "rule 2 (total_processed = sum of the result rows)",
        )),
        (_, 1) => Some((fits_1.remove(0), "rules 2 and 1")),
        _ => None,
    };
    let mut left_null = Vec::new();
    for (a, (key, cands)) in ambiguous.iter().enumerate() {
        let key = *key;
        match &chosen {
            Some((pick, rule)) => {
                parts
                    .applications
                    .insert(key.to_string(), runs::values(&cands[pick[a]]));
                parts.warnings.push(format!(
                    "applications.{key}: cells run together, {} splits add up; placed by {rule}",
                    cands.len()
                ));
            }
            None => {
                parts.warnings.push(format!(
                    "applications.{key}: cells run together, {} splits add up and the column rules do not single one out; values null",
                    cands.len()
                ));
                left_null.push(key);
            }
        }
    }
    left_null
}

/// `nums` (in order) in `n` columns with the rest blank, when exactly one
/// placement satisfies the row's arithmetic (rule 3 for a part 三 row, rule 4
/// for part 四); otherwise the row stays blank, with the reason.
fn place_by_total(nums: &[Number], n: usize) -> (Vec<Option<Number>>, Option<String>, bool) {
    let ok: &dyn Fn(&[f64]) -> bool = if n == 7 {
        &runs::row_adds_up
    } else {
        &runs::review_adds_up
    };
    let mut fits: Vec<Vec<Option<Number>>> = Vec::new();
    let mut slots = Vec::with_capacity(nums.len());
    place(nums, n, 0, &mut slots, &mut |slots: &[usize]| {
        let mut row = vec![None; n];
        for (s, v) in slots.iter().zip(nums) {
            row[*s] = Some(v.clone());
        }
        // The totals must be read, not blank, for the rule to say anything.
        let totals_read = if n == 7 {
            row[6].is_some()
        } else {
            (0..3).all(|g| row[g * 5 + 4].is_some())
        };
        let vals: Vec<f64> = row
            .iter()
            .map(|c| c.as_ref().and_then(Number::as_f64).unwrap_or(0.0))
            .collect();
        if totals_read && ok(&vals) && !fits.contains(&row) {
            fits.push(row);
        }
    });
    if fits.len() == 1 {
        let note = format!(
            "{} numbers for {n} columns: the blank cells placed by the total, the only placement that adds up",
            nums.len()
        );
        return (fits.remove(0), Some(note), true);
    }
    let note = format!(
        "{} numbers for {n} columns and {} placements that add up: which cells are blank is unknown; values null",
        nums.len(),
        fits.len()
    );
    (vec![None; n], Some(note), false)
}

/// Every order-keeping choice of columns for `nums`, passed to `each`.
fn place(
    nums: &[Number],
    n: usize,
    from: usize,
    slots: &mut Vec<usize>,
    each: &mut dyn FnMut(&[usize]),
) {
    if slots.len() == nums.len() {
        each(slots);
        return;
    }
    let left = nums.len() - slots.len();
    for s in from..=n - left {
        slots.push(s);
        place(nums, n, s + 1, slots, each);
        slots.pop();
    }
}

/// Rows waiting for their numbers: one row label and the cells after it, or
/// (PDF text) several row labels in a row and then lines of numbers; or a
/// label that names no row but has numbers after it (a misspelt label).
#[derive(Default)]
struct Pending {
    rows: Vec<usize>,
    orphan: Option<String>,
    cells: Vec<Tok>,
    /// How many cells had been read at each line end.
    line_ends: Vec<usize>,
    /// A line ended between the labels and the first cell.
    apart: bool,
}

impl Pending {
    fn row(r: usize) -> Pending {
        Pending {
            rows: vec![r],
            // A row's seven columns, sized once.
            cells: Vec::with_capacity(APPLICANT_COLUMNS.len() + 1),
            ..Pending::default()
        }
    }

    fn orphan(label: &str) -> Pending {
        Pending {
            orphan: Some(label.to_string()),
            ..Pending::default()
        }
    }

    /// The cells line by line (lines without cells left out).
    fn lines(&self) -> Vec<Vec<Tok>> {
        let mut out = Vec::new();
        let mut from = 0;
        for &end in self
            .line_ends
            .iter()
            .chain(std::iter::once(&self.cells.len()))
        {
            if end > from {
                out.push(self.cells[from..end].to_vec());
                from = end;
            }
        }
        out
    }
}

/// Where the numbers after an unrecognised label go: the one template row
/// between the rows read before and after it (`2.其他法律行政止公开` between
/// 国家秘密 and 三安全一稳定), or, in a 2021 table, a 2019-style undivided
/// （六）其他处理 row in place of its three sub-rows. `None` (with a warning)
/// when no single place fits.
fn place_orphan(
    p: &Pending,
    rows: &[&'static str],
    next: usize,
    hit: usize,
    template: Template,
    parts: &mut Parts,
) -> Option<&'static str> {
    let label = p.orphan.as_deref().unwrap_or_default();
    if p.cells.is_empty() {
        return None;
    }
    let numbers = nums_len(&p.cells) + p.cells.iter().filter(|t| matches!(t, Tok::Run(_))).count();
    let (Some(before), after) = (next.checked_sub(1).map(|b| rows[b]), rows[hit]) else {
        drop_orphan(label, parts);
        return None;
    };
    // The label's own item number (`2.其他…`), when it has one, must be the row's.
    let numbered = |r: usize| {
        let stated = label
            .split_once('.')
            .and_then(|(n, _)| n.parse::<usize>().ok());
        stated.is_none_or(|n| item_number(rows, r) == Some(n))
    };
    if numbers >= 2 && hit == next + 1 && numbered(next) {
        let key = rows[next];
        parts.warnings.push(format!(
            "applications.{key}: label '{label}' not recognised; placed by its template position between {before} and {after}"
        ));
        return Some(key);
    }
    let undivided = ["other_no_correction", "other_unpaid_fee", "other_other"];
    if numbers >= 2
        && template == Template::T2021
        && label.contains("其他处理")
        && rows[next..hit] == undivided
    {
        parts.warnings.push(format!(
            "applications.other_processing: a 2019-style undivided '{label}' row in a 2021 table; kept under its own key, {} left null",
            undivided.join(", ")
        ));
        return Some("other_processing");
    }
    drop_orphan(label, parts);
    None
}

/// A row's item number within its group (`2.` for denied_prohibited_by_law).
fn item_number(rows: &[&str], r: usize) -> Option<usize> {
    let group = |k: &str| {
        ["denied_", "unavailable_", "not_processed_", "other_"]
            .into_iter()
            .find(|g| k.starts_with(g))
    };
    let g = group(rows[r])?;
    Some(rows[..r].iter().filter(|k| group(k) == Some(g)).count() + 1)
}

fn drop_orphan(label: &str, parts: &mut Parts) {
    parts.warnings.push(format!(
        "applications: numbers after '{label}', which names no row and has no single template position; not placed"
    ));
}

/// What the rows read so far left: rows not read in full, how many were
/// read, and rows whose run-together digits split several ways by rule 3.
#[derive(Default)]
struct RowSink {
    incomplete: Vec<String>,
    read: usize,
    ambiguous: Vec<(&'static str, Vec<runs::Split>)>,
}

impl RowSink {
    /// One row's cells into the seven columns.
    fn row(&mut self, key: &'static str, cells: &[Tok], parts: &mut Parts) {
        let n = APPLICANT_COLUMNS.len();
        let (values, note, complete) = match run_texts(cells) {
            Some(digits) => match unique_split(&digits, n, &runs::row_adds_up) {
                Ok((split, note)) => (runs::values(&split), note, true),
                Err(SplitError::Several(_, candidates)) => {
                    self.ambiguous.push((key, candidates));
                    (vec![None; n], None, true)
                }
                Err(why) => (vec![None; n], Some(format!("{why}; values null")), false),
            },
            None => fit_row(cells, n),
        };
        if let Some(note) = note {
            parts.warnings.push(format!("applications.{key}: {note}"));
        }
        if !complete {
            self.incomplete.push(key.to_string());
        }
        self.read += 1;
        parts.applications.insert(key.to_string(), values);
    }

    /// The rows of a [`Pending`] (not an orphan).
    fn pending(&mut self, p: Pending, rows: &[&'static str], parts: &mut Parts) {
        let Some((last, before)) = p.rows.split_last() else {
            return;
        };
        if before.is_empty() {
            return self.row(rows[*last], &p.cells, parts);
        }
        let lines = p.lines();
        // Labels printed apart from their numbers (PDF text): as many lines of
        // numbers as row labels, in template order, is the one placement.
        let apart = p.apart && lines.iter().all(|l| nums_len(l) >= 2);
        if !apart {
            for r in before {
                self.row(rows[*r], &[], parts);
            }
            self.row(rows[*last], &p.cells, parts);
        } else if lines.len() == p.rows.len() {
            for (i, (r, line)) in p.rows.iter().zip(&lines).enumerate() {
                self.row(rows[*r], line, parts);
                parts.warnings.push(format!(
                    "applications.{}: row label and numbers on separate lines; numbers line {} of {} placed in template order",
                    rows[*r],
                    i + 1,
                    lines.len()
                ));
            }
        } else {
            for r in &p.rows {
                parts.warnings.push(format!(
                    "applications.{}: {} row labels printed apart from {} lines of numbers; not placed, values null",
                    rows[*r],
                    p.rows.len(),
                    lines.len()
                ));
                parts
                    .applications
                    .insert(rows[*r].to_string(), vec![None; APPLICANT_COLUMNS.len()]);
                self.incomplete.push(rows[*r].to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Number;

    fn extract_text(text: &str) -> super::super::Extraction {
        super::super::extract_text(text, &crate::patterns::ReportPatterns::default())
    }

    fn row(vals: &[i64]) -> Vec<Option<Number>> {
        vals.iter().map(|&v| Some(Number::from(v))).collect()
    }

    const HEAD: &str = "某局2022年政府信息公开工作年度报告\n二、主动公开政府信息情况\n信息内容\t本年制发件数\t本年废止件数\t现行有效件数\n规章\t0\t0\t0\n三、收到和处理政府信息公开申请情况\n";

    #[test]
    fn labels_printed_apart_from_their_numbers_follow_template_order() {
        let text = format!(
            "{HEAD}一、本年新收政府信息公开申请数量\n二、上年结转政府信息公开申请数量\n5 1 0 0 0 0 6\n1 0 0 0 0 0 1\n三\n、\n本\n年\n（一）予以公开\n（二）部分公开（区分处理的，只计这一情形，不计其\n他情形）\n3 1 0 0 0 0 4\n2 0 0 0 0 0 2\n"
        );
        let e = extract_text(&text);
        assert_eq!(e.applications["new_received"], row(&[5, 1, 0, 0, 0, 0, 6]));
        assert_eq!(e.applications["carried_over"], row(&[1, 0, 0, 0, 0, 0, 1]));
        assert_eq!(e.applications["granted"], row(&[3, 1, 0, 0, 0, 0, 4]));
        assert_eq!(
            e.applications["partially_granted"],
            row(&[2, 0, 0, 0, 0, 0, 2])
        );
        assert!(e.warnings.iter().any(|w| {
            w.starts_with("applications.granted: row label and numbers on separate lines")
        }));
        // Three labels and two lines of numbers: no placement is certain.
        let text = format!(
            "{HEAD}一、本年新收政府信息公开申请数量\n二、上年结转政府信息公开申请数量\n三、本年度办理结果\n（一）予以公开\n5 1 0 0 0 0 6\n1 0 0 0 0 0 1\n"
        );
        let e = extract_text(&text);
        assert_eq!(e.applications["new_received"], vec![None; 7]);
        assert_eq!(e.applications["granted"], vec![None; 7]);
    }

    #[test]
    fn a_misspelt_label_takes_the_one_row_between_its_neighbours() {
        let text = format!(
            "{HEAD}（三）不予公开\t1.属于国家秘密\t0\t0\t0\t0\t0\t0\t0\n2.其他法律行政止公开\t1\t0\t0\t0\t0\t0\t1\n3.危及“三安全一稳定”\t0\t0\t0\t0\t0\t0\t0\n"
        );
        let e = extract_text(&text);
        assert_eq!(
            e.applications["denied_prohibited_by_law"],
            row(&[1, 0, 0, 0, 0, 0, 1])
        );
        assert!(
            e.warnings
                .iter()
                .any(|w| w.contains("'2.其他法律行政止公开' not recognised"))
        );
        // A stated item number that is not the row's: not placed.
        let text = format!(
            "{HEAD}（三）不予公开\t1.属于国家秘密\t0\t0\t0\t0\t0\t0\t0\n5.其他法律行政止公开\t1\t0\t0\t0\t0\t0\t1\n3.危及“三安全一稳定”\t0\t0\t0\t0\t0\t0\t0\n"
        );
        let e = extract_text(&text);
        assert_eq!(e.applications["denied_prohibited_by_law"], vec![None; 7]);
        // Two rows missing around it: the numbers are not placed.
        let text = format!(
            "{HEAD}（三）不予公开\t1.属于国家秘密\t0\t0\t0\t0\t0\t0\t0\n2.其他法律行政止公开\t1\t0\t0\t0\t0\t0\t1\n4.保护第三方合法权益\t0\t0\t0\t0\t0\t0\t0\n"
        );
        let e = extract_text(&text);
        assert_eq!(e.applications["denied_prohibited_by_law"], vec![None; 7]);
        assert_eq!(e.applications["denied_three_safeties"], vec![None; 7]);
    }

    #[test]
    fn an_undivided_other_processing_row_in_a_2021_table_is_kept() {
        let text = format!(
            "{HEAD}（五）不予处理\t5.要求行政机关确认或重新出具已获取信息\t0\t0\t0\t0\t0\t0\t0\n（六）其他处理\t1\t0\t0\t0\t0\t0\t1\n（七）总计\t1\t0\t0\t0\t0\t0\t1\n"
        );
        let e = extract_text(&text);
        assert_eq!(e.template, Some(super::Template::T2021));
        assert_eq!(
            e.applications["other_processing"],
            row(&[1, 0, 0, 0, 0, 0, 1])
        );
        assert_eq!(e.applications["other_other"], vec![None; 7]);
        assert!(
            e.warnings
                .iter()
                .any(|w| w.starts_with("applications.other_processing: a 2019-style"))
        );
    }

    #[test]
    fn pdf_lines_with_two_rows_and_glued_cells() {
        let text = format!(
            "{HEAD}一、本年新收政府信息公开申请数量    3    0    0    0    0    03\n4.保护第三方合法权益    0    0    0    0    0    0    0 5.属于三类内部事务信息    2    0    0    0    0    0 2\n"
        );
        let e = extract_text(&text);
        assert_eq!(e.applications["new_received"], row(&[3, 0, 0, 0, 0, 0, 3]));
        assert_eq!(e.applications["denied_third_party"], row(&[0; 7]));
        assert_eq!(
            e.applications["denied_internal_affairs"],
            row(&[2, 0, 0, 0, 0, 0, 2])
        );
    }

    #[test]
    fn a_page_cut_inside_part_four_keeps_the_groups_shown_in_full() {
        let text = "某县2022年政府信息公开工作年度报告\n四、政府信息公开行政复议、行政诉讼情况\n结果维持 结果纠正 其他结果 尚未审结 总计\n2 1 0 0 3 1 0 0 0 1 0\n";
        let e = extract_text(text);
        let g = |k: &str, f: &str| e.review_litigation[k][f].clone();
        assert_eq!(g("review", "total"), Some(Number::from(3)));
        assert_eq!(g("litigation_direct", "upheld"), Some(Number::from(1)));
        assert_eq!(g("litigation_after_review", "upheld"), None);
        // The same numbers with text after them are not a cut: blanks are placed by the
        // totals, here uniquely (the last 0 can only be the third group's total).
        let e = extract_text(&format!("{text}五、存在的主要问题及改进情况\n"));
        let g = |k: &str, f: &str| e.review_litigation[k][f].clone();
        assert_eq!(g("review", "total"), Some(Number::from(3)));
        assert_eq!(g("litigation_after_review", "total"), Some(Number::from(0)));
        assert_eq!(g("litigation_after_review", "upheld"), None);
    }

    #[test]
    fn part_two_numbers_without_positions_are_not_placed() {
        let e = extract_text(&HEAD.replace(
            "规章\t0\t0\t0\n",
            "规章\n行政规范性文件\n0 0 0\n5 1 20\n行政许可\n3\n",
        ));
        assert_eq!(
            e.active_disclosure["normative_documents"]["issued"],
            serde_json::Value::Null
        );
        assert_eq!(
            e.active_disclosure["rules"]["issued"],
            serde_json::Value::Null
        );
        assert_eq!(
            e.active_disclosure["licensing"]["decisions"],
            serde_json::json!(3)
        );
    }

    #[test]
    fn a_short_row_is_placed_by_its_total_only_when_unique() {
        // Six numbers for seven columns: the blank could be any applicant column.
        let e = extract_text(&format!("{HEAD}（一）予以公开 3 0 0 0 0 3\n"));
        assert_eq!(e.applications["granted"], vec![None; 7]);
        assert!(
            e.warnings
                .iter()
                .any(|w| w.contains("which cells are blank is unknown"))
        );
    }
}
