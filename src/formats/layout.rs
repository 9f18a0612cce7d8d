//! Positioned text and ruling lines of one PDF page → blocks of the document model.
//!
//! A PDF has no tables, only glyphs at positions and lines drawn on the page.
//! Where ruling lines form a grid, the grid's cells (merged where a border is
//! missing) become a [`Table`] with colspans and rowspans, and each glyph run
//! goes to the cell it sits in; the other runs are grouped into lines by
//! baseline and lines into paragraphs.

use crate::document::{Cell, Table};

/// A run of text drawn at one position (page coordinates, y grows upwards).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fragment {
    pub x: f32,
    /// Baseline.
    pub y: f32,
    /// Estimated end of the run on the x axis.
    pub x_end: f32,
    /// Font size in page units.
    pub size: f32,
    pub text: String,
}

/// An axis-aligned ruling line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Rule {
    /// y, x0, x1 (x0 <= x1)
    Horizontal(f32, f32, f32),
    /// x, y0, y1 (y0 <= y1)
    Vertical(f32, f32, f32),
}

/// A line as (position across, start, end along it).
type Seg = (f32, f32, f32);

/// Positions closer than this (points) are the same border.
const TOL: f32 = 2.0;
/// Shorter lines are glyph decoration or noise, not borders.
const MIN_RULE: f32 = 3.0;

/// A table found on a page, with its grid kept so that a continuation on the
/// next page can be recognised by its columns.
#[derive(Debug, Clone)]
pub(crate) struct PageTable {
    pub table: Table,
    pub xs: Vec<f32>,
    pub top: f32,
    pub bottom: f32,
    /// For each model row, the column index and span of each of its cells.
    pub cols: Vec<Vec<(usize, usize)>>,
}

#[derive(Debug, Clone)]
pub(crate) enum PageBlock {
    Text(String),
    Table(PageTable),
}

/// Lay out one page of unknown width: blocks from top to bottom.
#[cfg(test)]
pub(crate) fn layout_page(fragments: Vec<Fragment>, rules: &[Rule]) -> Vec<PageBlock> {
    layout_page_with(fragments, rules, None)
}

/// Lay out one page: blocks from top to bottom. `width` (the media box)
/// tells whether the longest line runs to a margin at all.
pub(crate) fn layout_page_with(
    fragments: Vec<Fragment>,
    rules: &[Rule],
    width: Option<f32>,
) -> Vec<PageBlock> {
    let grids = find_grids(rules);
    let mut tables: Vec<(Grid, Vec<Vec<Vec<Fragment>>>)> = grids
        .into_iter()
        .map(|g| {
            let slots = vec![vec![Vec::new(); g.xs.len() - 1]; g.ys.len() - 1];
            (g, slots)
        })
        .collect();
    let mut loose = Vec::new();
    'frag: for f in fragments {
        // A point inside the first glyph, a little above the baseline.
        let ax = f.x + (f.size * 0.4).min((f.x_end - f.x).max(0.0) / 2.0);
        let ay = f.y + f.size * 0.3;
        for (g, slots) in tables.iter_mut() {
            if let Some((r, c)) = g.locate(ax, ay) {
                let (r0, c0) = g.owner[r][c];
                slots[r0][c0].push(f);
                continue 'frag;
            }
        }
        loose.push(f);
    }

    let mut items: Vec<(f32, PageBlock)> = Vec::new();
    let mut right = f32::MIN;
    for (g, slots) in tables {
        if let Some(t) = g.to_table(slots) {
            right = right.max(t.xs.last().copied().unwrap_or(f32::MIN));
            items.push((t.top, PageBlock::Table(t)));
        }
    }
    for (top, text) in paragraphs(lines(loose), right, width) {
        items.push((top, PageBlock::Text(text)));
    }
    items.sort_by(|a, b| b.0.total_cmp(&a.0));
    items.into_iter().map(|(_, b)| b).collect()
}

/// A text line: fragments on one baseline, left to right.
#[derive(Debug)]
struct Line {
    y: f32,
    x0: f32,
    x_end: f32,
    size: f32,
    text: String,
}

fn is_wordish(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '%' | '.' | ',' | ')' | '(')
}

/// Join runs of one line; a wide gap (a tab stop or a borderless table
/// column) becomes a tab, a narrow one between Latin words a space.
fn join_runs(frags: &[Fragment]) -> String {
    let mut out = String::new();
    let mut prev: Option<&Fragment> = None;
    for f in frags {
        if let Some(p) = prev {
            let gap = f.x - p.x_end;
            let em = p.size.max(f.size).max(1.0);
            let last = out.chars().last();
            let next = f.text.chars().next();
            if gap > 1.8 * em {
                out.push('\t');
            } else if (gap > 0.6 * em
                || (gap > 0.3 * em
                    && (last.is_some_and(is_wordish) || next.is_some_and(is_wordish))))
                && !out.ends_with(' ')
                && !f.text.starts_with(' ')
            {
                out.push(' ');
            }
        }
        out.push_str(&f.text);
        prev = Some(f);
    }
    out
}

fn lines(mut frags: Vec<Fragment>) -> Vec<Line> {
    frags.retain(|f| !f.text.trim().is_empty() || f.text.contains('\u{a0}'));
    frags.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x.total_cmp(&b.x)));
    let mut groups: Vec<Vec<Fragment>> = Vec::new();
    for f in frags {
        match groups.last_mut() {
            Some(g) if (g[0].y - f.y).abs() <= 0.4 * g[0].size.max(f.size).max(1.0) => g.push(f),
            _ => groups.push(vec![f]),
        }
    }
    groups
        .into_iter()
        .map(|mut g| {
            g.sort_by(|a, b| a.x.total_cmp(&b.x));
            let size = g.iter().map(|f| f.size).fold(0.0, f32::max);
            Line {
                y: g[0].y,
                x0: g[0].x,
                x_end: g.iter().map(|f| f.x_end).fold(f32::MIN, f32::max),
                size,
                text: join_runs(&g),
            }
        })
        .collect()
}

/// Lines → paragraphs: a line that ran to the right margin continues on the next.
fn paragraphs(lines: Vec<Line>, table_right: f32, width: Option<f32>) -> Vec<(f32, String)> {
    let right = lines.iter().map(|l| l.x_end).fold(table_right, f32::max);
    // On a page of short lines only (a cover, a signature) nothing runs to
    // the margin, and no line continues on the next.
    let margin_known = width.is_none_or(|w| right >= 0.6 * w);
    let left = lines.iter().map(|l| l.x0).fold(f32::MAX, f32::min);
    let mut out: Vec<(f32, String)> = Vec::new();
    let mut prev: Option<&Line> = None;
    for line in &lines {
        let text = line.text.trim_end().to_string();
        let joins = margin_known
            && prev.is_some_and(|p| {
                let gap = p.y - line.y;
                p.x_end >= right - 2.0 * p.size
                    && gap > 0.0
                    && gap <= 2.0 * p.size.max(line.size)
                    && (p.size - line.size).abs() < 0.5
                    && !p.text.contains('\t')
                    // An indented line opens a new paragraph (first-line indent).
                    && line.x0 <= left + line.size
            });
        match out.last_mut() {
            Some((_, para)) if joins => {
                let ascii_break = para
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_ascii_alphanumeric())
                    && text
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_alphanumeric());
                if ascii_break {
                    para.push(' ');
                }
                para.push_str(text.trim_start());
            }
            _ => out.push((line.y + line.size, text)),
        }
        prev = Some(line);
    }
    out
}

#[derive(Debug)]
struct Grid {
    /// Column borders, left to right.
    xs: Vec<f32>,
    /// Row borders, top to bottom (descending y).
    ys: Vec<f32>,
    /// For each grid slot, the top-left slot of the merged cell it belongs to.
    owner: Vec<Vec<(usize, usize)>>,
    /// Span (rows, cols) of each merged cell, at its top-left slot.
    span: Vec<Vec<(usize, usize)>>,
}

impl Grid {
    fn locate(&self, x: f32, y: f32) -> Option<(usize, usize)> {
        let (first_x, last_x) = (*self.xs.first()?, *self.xs.last()?);
        let (top, bottom) = (*self.ys.first()?, *self.ys.last()?);
        if x < first_x || x > last_x || y > top || y < bottom {
            return None;
        }
        let c = self.xs.windows(2).position(|w| x >= w[0] && x <= w[1])?;
        let r = self.ys.windows(2).position(|w| y <= w[0] && y >= w[1])?;
        Some((r, c))
    }

    fn to_table(&self, mut slots: Vec<Vec<Vec<Fragment>>>) -> Option<PageTable> {
        let mut rows = Vec::new();
        let mut cols = Vec::new();
        for (r, slot_row) in slots.iter_mut().enumerate() {
            let mut row = Vec::new();
            let mut row_cols = Vec::new();
            for (c, frags) in slot_row.iter_mut().enumerate() {
                if self.owner[r][c] != (r, c) {
                    continue;
                }
                let (rs, cs) = self.span[r][c];
                let text = lines(std::mem::take(frags))
                    .into_iter()
                    .map(|l| l.text.trim().to_string())
                    .collect::<Vec<_>>()
                    .join("\n");
                row.push(Cell::spanning(text, cs, rs));
                row_cols.push((c, cs));
            }
            // A grid row made only of covered slots (a border segment that
            // crosses a rowspan) still counts as a row: spans refer to it.
            rows.push(row);
            cols.push(row_cols);
        }
        Some(PageTable {
            table: Table { rows },
            xs: self.xs.clone(),
            top: *self.ys.first()?,
            bottom: *self.ys.last()?,
            cols,
        })
    }
}

fn cluster(mut values: Vec<f32>) -> Vec<f32> {
    values.sort_by(f32::total_cmp);
    let mut out: Vec<(f32, usize)> = Vec::new();
    for v in values {
        match out.last_mut() {
            Some((mean, n)) if (v - *mean).abs() <= TOL => {
                *mean = (*mean * *n as f32 + v) / (*n as f32 + 1.0);
                *n += 1;
            }
            _ => out.push((v, 1)),
        }
    }
    out.into_iter().map(|(v, _)| v).collect()
}

/// Merge collinear pieces of one border into one line.
fn merge_rules(rules: &[Rule]) -> (Vec<Seg>, Vec<Seg>) {
    let mut h: Vec<Seg> = Vec::new();
    let mut v: Vec<Seg> = Vec::new();
    for r in rules {
        match *r {
            Rule::Horizontal(y, x0, x1) if x1 - x0 >= MIN_RULE => h.push((y, x0, x1)),
            Rule::Vertical(x, y0, y1) if y1 - y0 >= MIN_RULE => v.push((x, y0, y1)),
            _ => {}
        }
    }
    (merge_collinear(h), merge_collinear(v))
}

fn merge_collinear(mut segs: Vec<Seg>) -> Vec<Seg> {
    segs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut out: Vec<Seg> = Vec::new();
    for s in segs {
        if let Some(last) = out
            .iter_mut()
            .rev()
            .take_while(|o| (o.0 - s.0).abs() <= TOL)
            .find(|o| s.1 <= o.2 + TOL && s.2 >= o.1 - TOL)
        {
            last.2 = last.2.max(s.2);
            last.1 = last.1.min(s.1);
            continue;
        }
        out.push(s);
    }
    out
}

fn find_grids(rules: &[Rule]) -> Vec<Grid> {
    let (h, v) = merge_rules(rules);
    // A page of thousands of lines is a drawing, not a ruled table (and the
    // pairwise crossing test below is quadratic).
    if h.len() < 2 || v.len() < 2 || h.len() + v.len() > 6_000 {
        return Vec::new();
    }
    // Connected components of crossing/touching lines: one per table.
    let n = h.len() + v.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    for (i, &(y, x0, x1)) in h.iter().enumerate() {
        for (j, &(x, y0, y1)) in v.iter().enumerate() {
            if x >= x0 - TOL && x <= x1 + TOL && y >= y0 - TOL && y <= y1 + TOL {
                let (a, b) = (root(&mut parent, i), root(&mut parent, h.len() + j));
                parent[a] = b;
            }
        }
    }
    let mut groups: std::collections::BTreeMap<usize, (Vec<usize>, Vec<usize>)> =
        Default::default();
    for i in 0..h.len() {
        groups.entry(root(&mut parent, i)).or_default().0.push(i);
    }
    for j in 0..v.len() {
        groups
            .entry(root(&mut parent, h.len() + j))
            .or_default()
            .1
            .push(j);
    }
    let mut grids = Vec::new();
    for (_, (hi, vi)) in groups {
        if hi.len() < 2 || vi.len() < 2 {
            continue;
        }
        let hs: Vec<Seg> = hi.iter().map(|&i| h[i]).collect();
        let vs: Vec<Seg> = vi.iter().map(|&j| v[j]).collect();
        split_grids(&hs, &vs, &mut grids, 0);
    }
    grids
}

/// Split a component into grids at row bands that no vertical border
/// crosses: two tables joined by a stray line (a heading rule, a page
/// frame) are still two tables, each with its own columns.
fn split_grids(hs: &[Seg], vs: &[Seg], out: &mut Vec<Grid>, depth: usize) {
    let mut ys = cluster(hs.iter().map(|s| s.0).collect());
    ys.reverse();
    if ys.len() < 2 {
        return;
    }
    let crossed = |r: usize| {
        let mid = (ys[r] + ys[r + 1]) / 2.0;
        vs.iter().any(|s| mid >= s.1 && mid <= s.2)
    };
    let bands: Vec<bool> = (0..ys.len() - 1).map(crossed).collect();
    if depth > 8 || bands.iter().all(|&b| b) {
        if let Some(g) = build_grid(hs, vs, ys) {
            out.push(g);
        }
        return;
    }
    let mut r = 0;
    while r < bands.len() {
        if !bands[r] {
            r += 1;
            continue;
        }
        let start = r;
        while r < bands.len() && bands[r] {
            r += 1;
        }
        let (top, bottom) = (ys[start] + TOL, ys[r] - TOL);
        let part_h: Vec<Seg> = hs
            .iter()
            .copied()
            .filter(|s| s.0 <= top && s.0 >= bottom)
            .collect();
        let part_v: Vec<Seg> = vs
            .iter()
            .filter(|s| s.2 >= bottom && s.1 <= top)
            .map(|s| (s.0, s.1.max(bottom), s.2.min(top)))
            .collect();
        if part_h.len() >= 2 && part_v.len() >= 2 {
            split_grids(&part_h, &part_v, out, depth + 1);
        }
    }
}

fn build_grid(hs: &[Seg], vs: &[Seg], ys: Vec<f32>) -> Option<Grid> {
    let xs = cluster(vs.iter().map(|s| s.0).collect());
    if xs.len() < 2 || ys.len() < 2 || (xs.len() - 1) * (ys.len() - 1) > 100_000 {
        return None;
    }
    let (nr, nc) = (ys.len() - 1, xs.len() - 1);
    // Is there a border between slot (r, c) and its right / lower neighbour?
    let v_border = |r: usize, c: usize| {
        let x = xs[c + 1];
        let y = (ys[r] + ys[r + 1]) / 2.0;
        vs.iter()
            .any(|s| (s.0 - x).abs() <= TOL && y >= s.1 - TOL && y <= s.2 + TOL)
    };
    let h_border = |r: usize, c: usize| {
        let y = ys[r + 1];
        let x = (xs[c] + xs[c + 1]) / 2.0;
        hs.iter()
            .any(|s| (s.0 - y).abs() <= TOL && x >= s.1 - TOL && x <= s.2 + TOL)
    };
    let mut owner = vec![vec![(usize::MAX, usize::MAX); nc]; nr];
    let mut span = vec![vec![(1, 1); nc]; nr];
    for r in 0..nr {
        for c in 0..nc {
            if owner[r][c].0 != usize::MAX {
                continue;
            }
            let mut cs = 1;
            while c + cs < nc && !v_border(r, c + cs - 1) && owner[r][c + cs].0 == usize::MAX {
                cs += 1;
            }
            let mut rs = 1;
            while r + rs < nr && (c..c + cs).all(|cc| !h_border(r + rs - 1, cc)) {
                if (c..c + cs).any(|cc| owner[r + rs][cc].0 != usize::MAX) {
                    break;
                }
                rs += 1;
            }
            for row in owner.iter_mut().skip(r).take(rs) {
                for slot in row.iter_mut().skip(c).take(cs) {
                    *slot = (r, c);
                }
            }
            span[r][c] = (rs, cs);
        }
    }
    // One box around text is a frame, not a table.
    let cells = (0..nr)
        .flat_map(|r| (0..nc).map(move |c| (r, c)))
        .filter(|&(r, c)| owner[r][c] == (r, c))
        .count();
    if cells < 2 {
        return None;
    }
    Some(Grid {
        xs,
        ys,
        owner,
        span,
    })
}

/// Whether a table at the top of a page goes on from the one at the bottom
/// of the previous page: the same column borders.
pub(crate) fn continues(prev: &PageTable, next: &PageTable) -> bool {
    prev.xs.len() == next.xs.len()
        && prev
            .xs
            .iter()
            .zip(&next.xs)
            .all(|(a, b)| (a - b).abs() <= TOL)
}

fn is_numeric(text: &str) -> bool {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | ',' | '%' | '/'))
}

/// Text that opens a label of its own (（四）, 2., 四、…) rather than ending a cut one.
fn starts_label(text: &str) -> bool {
    let t = text.trim_start();
    let mut chars = t.chars();
    let first = chars.next();
    matches!(first, Some('（' | '(' | '【' | '[' | '第'))
        || first.is_some_and(|c| c.is_ascii_digit())
        || (first.is_some_and(|c| "一二三四五六七八九十".contains(c))
            && chars.next().is_some_and(|c| matches!(c, '、' | '.' | '．')))
}

/// Join the part of a table on the next page to `prev`. Header rows that
/// the next page repeats are dropped. A cell cut by the page break goes on
/// at the top of the next part in the same columns: blank (a rowspan cut
/// short) or holding the tail of its wrapped label (`（三）不予公` / `开`);
/// it is merged back into the cell above.
pub(crate) fn append_table(prev: &mut PageTable, mut next: PageTable) {
    // Repeated header rows ("repeat as header row" in Word).
    let texts =
        |t: &Table, r: usize| -> Vec<String> { t.rows[r].iter().map(|c| c.text.clone()).collect() };
    let mut repeated = 0;
    while repeated < next.table.rows.len()
        && repeated < prev.table.rows.len()
        && repeated < 6
        && texts(&next.table, repeated) == texts(&prev.table, repeated)
        && next.table.rows[repeated]
            .iter()
            .any(|c| !c.text.trim().is_empty())
    {
        repeated += 1;
    }
    if repeated > 0 && repeated < next.table.rows.len() {
        next.table.rows.drain(..repeated);
        next.cols.drain(..repeated);
    }

    let last = prev.table.rows.len();
    if last > 0 && !next.table.rows.is_empty() {
        // Cells of `prev` that reach its last row: (row, index, col, span).
        let mut reaching: Vec<(usize, usize, usize, usize)> = Vec::new();
        for (r, row) in prev.table.rows.iter().enumerate() {
            for (i, cell) in row.iter().enumerate() {
                if r + cell.rowspan == last {
                    let (c, s) = prev.cols[r][i];
                    reaching.push((r, i, c, s));
                }
            }
        }
        let above_of = |i: usize| {
            let (c, s) = next.cols[0][i];
            reaching
                .iter()
                .find(|&&(_, _, pc, ps)| pc == c && ps == s)
                .map(|&(r, pi, _, _)| (r, pi))
        };
        // A row split by the page break (Word and LibreOffice let rows break
        // by default): every cell of the first row goes on from the cell
        // above it, holding nothing or the tail of its wrapped text, and no
        // number. The row is folded back into the row above.
        let row0 = &next.table.rows[0];
        let split_row = row0.len() == reaching.len()
            && row0.iter().any(|c| !c.text.trim().is_empty())
            && row0.iter().enumerate().all(|(i, cell)| {
                let tail = cell.text.trim();
                above_of(i).is_some_and(|(r, pi)| {
                    let above = &prev.table.rows[r][pi].text;
                    tail.is_empty()
                        || (!above.trim().is_empty()
                            && !is_numeric(above)
                            && !is_numeric(tail)
                            && !starts_label(tail)
                            && tail.chars().filter(|c| !c.is_whitespace()).count() <= 12)
                })
            });
        if split_row {
            for (i, cell) in next.table.rows[0].iter().enumerate() {
                if let Some((r, pi)) = above_of(i) {
                    let above = &mut prev.table.rows[r][pi];
                    let tail = cell.text.trim();
                    if !tail.is_empty() {
                        above.text.push('\n');
                        above.text.push_str(tail);
                    }
                    above.rowspan += cell.rowspan - 1;
                }
            }
            next.table.rows.remove(0);
            next.cols.remove(0);
            prev.table.rows.extend(next.table.rows);
            prev.cols.extend(next.cols);
            prev.bottom = next.bottom;
            return;
        }
        let mut drop = Vec::new();
        for (i, cell) in next.table.rows[0].iter().enumerate() {
            let (c, s) = next.cols[0][i];
            let Some(&(r, pi, _, _)) = reaching.iter().find(|&&(_, _, pc, ps)| pc == c && ps == s)
            else {
                continue;
            };
            let above = &prev.table.rows[r][pi];
            let label_above = !above.text.trim().is_empty() && !is_numeric(&above.text);
            let tail = cell.text.trim();
            let cut = if tail.is_empty() {
                above.rowspan > 1 || label_above
            } else {
                // A short row label below a label is just the next row; a
                // tail spanning rows is the rest of a cut group label.
                label_above
                    && cell.rowspan > 1
                    && !is_numeric(tail)
                    && !starts_label(tail)
                    && tail.chars().filter(|c| !c.is_whitespace()).count() <= 4
            };
            if cut {
                let above = &mut prev.table.rows[r][pi];
                above.rowspan += cell.rowspan;
                if !tail.is_empty() {
                    above.text.push('\n');
                    above.text.push_str(tail);
                }
                drop.push(i);
            }
        }
        for i in drop.into_iter().rev() {
            next.table.rows[0].remove(i);
            next.cols[0].remove(i);
        }
    }
    prev.table.rows.extend(next.table.rows);
    prev.cols.extend(next.cols);
    prev.bottom = next.bottom;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frag(x: f32, y: f32, text: &str) -> Fragment {
        Fragment {
            x,
            y,
            x_end: x + 10.0 * text.chars().count() as f32,
            size: 10.0,
            text: text.into(),
        }
    }

    /// Borders of a grid with the given column and row positions; `skip_v`
    /// lists (row, border index) vertical borders left out, `skip_h` (border
    /// index, column) horizontal ones.
    fn ruled(
        xs: &[f32],
        ys: &[f32],
        skip_v: &[(usize, usize)],
        skip_h: &[(usize, usize)],
    ) -> Vec<Rule> {
        let mut rules = Vec::new();
        for (bi, &x) in xs.iter().enumerate() {
            for r in 0..ys.len() - 1 {
                if !skip_v.contains(&(r, bi)) {
                    rules.push(Rule::Vertical(x, ys[r + 1], ys[r]));
                }
            }
        }
        for (bi, &y) in ys.iter().enumerate() {
            for c in 0..xs.len() - 1 {
                if !skip_h.contains(&(bi, c)) {
                    rules.push(Rule::Horizontal(y, xs[c], xs[c + 1]));
                }
            }
        }
        rules
    }

    #[test]
    fn grid_with_merges_becomes_spanned_table() {
        // 3 columns × 3 rows; row 0 col 1-2 merged (no border at x=200 in
        // row 0); col 0 rows 1-2 merged (no border at y=60 under col 0).
        let xs = [0.0, 100.0, 200.0, 300.0];
        let ys = [100.0, 80.0, 60.0, 40.0];
        let rules = ruled(&xs, &ys, &[(0, 2)], &[(2, 0)]);
        let frags = vec![
            frag(5.0, 85.0, "角"),
            frag(105.0, 85.0, "申请人情况"),
            frag(5.0, 65.0, "（三）不予公开"),
            frag(105.0, 65.0, "1.国家秘密"),
            frag(205.0, 65.0, "0"),
            frag(105.0, 45.0, "2.其他"),
            frag(205.0, 45.0, "7"),
            frag(5.0, 20.0, "表后文字"),
        ];
        let blocks = layout_page(frags, &rules);
        assert_eq!(blocks.len(), 2, "{blocks:?}");
        let PageBlock::Table(t) = &blocks[0] else {
            panic!("table first: {blocks:?}")
        };
        assert_eq!(
            t.table.rows,
            vec![
                vec![Cell::new("角"), Cell::spanning("申请人情况", 2, 1)],
                vec![
                    Cell::spanning("（三）不予公开", 1, 2),
                    Cell::new("1.国家秘密"),
                    Cell::new("0")
                ],
                vec![Cell::new("2.其他"), Cell::new("7")],
            ]
        );
        assert!(matches!(&blocks[1], PageBlock::Text(t) if t == "表后文字"));
    }

    #[test]
    fn wrapped_cell_text_keeps_lines_and_runs_join() {
        let xs = [0.0, 100.0, 200.0];
        let ys = [100.0, 60.0];
        let rules = ruled(&xs, &ys, &[], &[]);
        let frags = vec![
            frag(5.0, 85.0, "商业"),
            frag(5.0, 72.0, "企业"),
            frag(105.0, 85.0, "1"),
            frag(116.0, 85.0, "2"),
        ];
        let blocks = layout_page(frags, &rules);
        let PageBlock::Table(t) = &blocks[0] else {
            panic!("{blocks:?}")
        };
        assert_eq!(t.table.rows[0][0].text, "商业\n企业");
        assert_eq!(t.table.rows[0][1].text, "12");
    }

    #[test]
    fn lines_join_into_paragraphs_only_when_running_to_the_margin() {
        let frags = vec![
            frag(0.0, 200.0, "一、总体情况"),
            frag(0.0, 180.0, "第一段第一行写满了整整一行文字"),
            frag(0.0, 167.0, "第一段第二行"),
            frag(0.0, 140.0, "二、主动公开"),
        ];
        let blocks = layout_page(frags, &[]);
        let texts: Vec<&str> = blocks
            .iter()
            .map(|b| match b {
                PageBlock::Text(t) => t.as_str(),
                PageBlock::Table(_) => "<table>",
            })
            .collect();
        assert_eq!(
            texts,
            vec![
                "一、总体情况",
                "第一段第一行写满了整整一行文字第一段第二行",
                "二、主动公开"
            ]
        );
    }

    #[test]
    fn an_indented_line_starts_a_new_paragraph_even_after_a_full_line() {
        let frags = vec![
            frag(20.0, 200.0, "第一段写满了一整行文字的"),
            frag(0.0, 187.0, "第一段的第二行也写满了一整"),
            frag(20.0, 174.0, "第二段首行缩进了两个字"),
        ];
        let texts: Vec<String> = layout_page(frags, &[])
            .into_iter()
            .map(|b| match b {
                PageBlock::Text(t) => t,
                PageBlock::Table(_) => "<table>".into(),
            })
            .collect();
        assert_eq!(
            texts,
            vec![
                "第一段写满了一整行文字的第一段的第二行也写满了一整",
                "第二段首行缩进了两个字"
            ]
        );
    }

    #[test]
    fn wide_gaps_become_tabs() {
        let frags = vec![frag(0.0, 100.0, "规章"), frag(200.0, 100.0, "0")];
        let blocks = layout_page(frags, &[]);
        assert!(
            matches!(&blocks[0], PageBlock::Text(t) if t == "规章\t0"),
            "{blocks:?}"
        );
    }

    #[test]
    fn a_single_frame_is_not_a_table() {
        let rules = ruled(&[0.0, 300.0], &[100.0, 0.0], &[], &[]);
        let blocks = layout_page(vec![frag(5.0, 50.0, "框内")], &rules);
        assert!(
            matches!(&blocks[..], [PageBlock::Text(t)] if t == "框内"),
            "{blocks:?}"
        );
    }

    #[test]
    fn page_break_inside_a_rowspan_is_rejoined() {
        let xs = [0.0, 100.0, 200.0];
        // Page 1: 三、结果 spans both rows (no border under it at y=80).
        let top = layout_page(
            vec![
                frag(5.0, 85.0, "三、结果"),
                frag(105.0, 85.0, "1"),
                frag(105.0, 65.0, "2"),
            ],
            &ruled(&xs, &[100.0, 80.0, 60.0], &[], &[(1, 0)]),
        );
        // Page 2: the cut cell goes on blank, then a normal row.
        let bottom = layout_page(
            vec![
                frag(105.0, 785.0, "3"),
                frag(5.0, 765.0, "四、结转"),
                frag(105.0, 765.0, "0"),
            ],
            &ruled(&xs, &[800.0, 780.0, 760.0], &[], &[]),
        );
        let (PageBlock::Table(mut a), PageBlock::Table(b)) = (top[0].clone(), bottom[0].clone())
        else {
            panic!("tables: {top:?} {bottom:?}")
        };
        assert_eq!(a.table.rows[0][0], Cell::spanning("三、结果", 1, 2));
        assert!(continues(&a, &b));
        append_table(&mut a, b);
        assert_eq!(a.table.rows.len(), 4);
        assert_eq!(a.table.rows[0][0], Cell::spanning("三、结果", 1, 3));
        assert_eq!(a.table.rows[2], vec![Cell::new("3")]);
        assert_eq!(a.table.rows[3], vec![Cell::new("四、结转"), Cell::new("0")]);
    }

    #[test]
    fn label_cut_by_the_page_break_is_rejoined_but_new_groups_are_not() {
        let xs = [0.0, 100.0, 200.0, 300.0];
        // Page 1: 三、结果 (2 rows) | （三）不予公 (1 row) | 1.国家秘密 ...
        let top = layout_page(
            vec![
                frag(5.0, 85.0, "三、结果"),
                frag(105.0, 65.0, "（三）不予公"),
                frag(205.0, 65.0, "1.国家秘密"),
                frag(105.0, 85.0, "（二）部分"),
            ],
            &ruled(&xs, &[100.0, 80.0, 60.0], &[(0, 2)], &[(1, 0)]),
        );
        // Page 2: blank | 开 (2 rows) | 2.其他 ; then blank | 3.危及
        let bottom = layout_page(
            vec![
                frag(105.0, 785.0, "开"),
                frag(205.0, 785.0, "2.其他"),
                frag(205.0, 765.0, "3.危及"),
            ],
            &ruled(&xs, &[800.0, 780.0, 760.0], &[], &[(1, 0), (1, 1)]),
        );
        let (PageBlock::Table(mut a), PageBlock::Table(b)) = (top[0].clone(), bottom[0].clone())
        else {
            panic!("tables: {top:?} {bottom:?}")
        };
        append_table(&mut a, b);
        assert_eq!(a.table.rows[0][0], Cell::spanning("三、结果", 1, 4));
        assert_eq!(a.table.rows[1][0], Cell::spanning("（三）不予公\n开", 1, 3));
        assert_eq!(a.table.rows[2], vec![Cell::new("2.其他")]);

        // A new group label at the top of the page stays a cell of its own.
        let top = layout_page(
            vec![
                frag(5.0, 85.0, "（三）不予公开"),
                frag(105.0, 85.0, "8.查询"),
            ],
            &ruled(&xs[..3], &[100.0, 80.0], &[], &[]),
        );
        let bottom = layout_page(
            vec![
                frag(5.0, 785.0, "（四）无法提供"),
                frag(105.0, 785.0, "1.不掌握"),
            ],
            &ruled(&xs[..3], &[800.0, 780.0], &[], &[]),
        );
        let (PageBlock::Table(mut a), PageBlock::Table(b)) = (top[0].clone(), bottom[0].clone())
        else {
            panic!("tables")
        };
        append_table(&mut a, b);
        assert_eq!(a.table.rows.len(), 2);
        assert_eq!(a.table.rows[1][0], Cell::new("（四）无法提供"));
    }

    #[test]
    fn repeated_header_rows_are_dropped() {
        let xs = [0.0, 100.0, 200.0];
        let top = layout_page(
            vec![
                frag(5.0, 85.0, "项目"),
                frag(105.0, 85.0, "数量"),
                frag(5.0, 65.0, "规章"),
                frag(105.0, 65.0, "1"),
            ],
            &ruled(&xs, &[100.0, 80.0, 60.0], &[], &[]),
        );
        let bottom = layout_page(
            vec![
                frag(5.0, 785.0, "项目"),
                frag(105.0, 785.0, "数量"),
                frag(5.0, 765.0, "文件"),
                frag(105.0, 765.0, "2"),
            ],
            &ruled(&xs, &[800.0, 780.0, 760.0], &[], &[]),
        );
        let (PageBlock::Table(mut a), PageBlock::Table(b)) = (top[0].clone(), bottom[0].clone())
        else {
            panic!("tables")
        };
        append_table(&mut a, b);
        assert_eq!(a.table.rows.len(), 3);
        assert_eq!(a.table.rows[2], vec![Cell::new("文件"), Cell::new("2")]);
    }

    #[test]
    fn row_split_by_the_page_break_is_folded_back() {
        let xs = [0.0, 100.0, 200.0, 300.0];
        // Page 1: a group label over two rows; the second row's label wraps
        // and only its first line fits, with its number.
        let top = layout_page(
            vec![
                frag(5.0, 85.0, "（五）不予处理"),
                frag(105.0, 85.0, "1.信访"),
                frag(205.0, 85.0, "0"),
                frag(105.0, 65.0, "5.要求行政机关确认"),
                frag(205.0, 65.0, "3"),
            ],
            &ruled(&xs, &[100.0, 80.0, 60.0], &[], &[(1, 0)]),
        );
        // Page 2: the rest of that row (label tail, blank number, group
        // label cell still open), then the next row.
        let bottom = layout_page(
            vec![
                frag(105.0, 785.0, "或重新出具"),
                frag(5.0, 765.0, "（六）其他处理"),
                frag(105.0, 765.0, "1.逾期"),
                frag(205.0, 765.0, "4"),
            ],
            &ruled(&xs, &[800.0, 780.0, 760.0], &[], &[]),
        );
        let (PageBlock::Table(mut a), PageBlock::Table(b)) = (top[0].clone(), bottom[0].clone())
        else {
            panic!("tables: {top:?} {bottom:?}")
        };
        append_table(&mut a, b);
        assert_eq!(a.table.rows.len(), 3, "{:?}", a.table.rows);
        assert_eq!(a.table.rows[0][0], Cell::spanning("（五）不予处理", 1, 2));
        assert_eq!(
            a.table.rows[1],
            vec![Cell::new("5.要求行政机关确认\n或重新出具"), Cell::new("3")]
        );
        assert_eq!(
            a.table.rows[2],
            vec![
                Cell::new("（六）其他处理"),
                Cell::new("1.逾期"),
                Cell::new("4")
            ]
        );
    }
}
