//! PDF → [`Document`]: runs the page content streams (with `lopdf`) to get
//! each text run's position and the ruling lines, then rebuilds paragraphs
//! and ruled tables (see `layout`).
//!
//! Why not `pdf-extract`: on the fixtures it panics on the non-embedded
//! `STSong-Light` / `UniGB-UCS2-H` font that iText and reportlab write for
//! Chinese, and its text drops blank cells (seed 004's row reads `6 6`, so
//! which column holds the 6 is lost) and interleaves wrapped labels with
//! the next row. Why not `pdftotext -layout`: a system dependency, it needs
//! `poppler-data` for that font, and it still gives text aligned by spaces,
//! not cells. The drawn ruling lines give the grid, its merges and the
//! position of every blank cell; `lopdf` decodes the fonts and hands over
//! the operators, and a small interpreter of the text and path operators
//! is all that is needed.

use std::collections::BTreeMap;

use lopdf::content::Content;
use lopdf::{Dictionary, Encoding, Object, ObjectId};

use super::FormatError;
use super::layout::{Fragment, PageBlock, Rule, append_table, continues, layout_page_with};
use crate::document::{Block, Document};

/// Memory is bounded per page and per document: decoding a content stream
/// costs ~100 bytes per operator and each text run becomes a fragment, so a
/// 4 MB file of 1.8 million text operators took 3 GB. A report page's content
/// stream is tens or hundreds of KiB and holds a few thousand text runs.
///
/// Per page; a larger content stream is a bomb, not a report page (skipped).
const MAX_PAGE_CONTENT: usize = 4 * 1024 * 1024;
/// Text runs kept per page; the rest of a page past it is not read.
const MAX_PAGE_FRAGMENTS: usize = 20_000;
/// Per document: content bytes decoded and text runs kept, over all pages;
/// pages after either is reached are not read.
const MAX_DOC_CONTENT: usize = 128 * 1024 * 1024;
const MAX_DOC_FRAGMENTS: usize = 500_000;
const MAX_PAGES: usize = 2_000;
const MAX_FORM_DEPTH: usize = 6;

/// What a PDF yielded.
#[derive(Debug, Clone, PartialEq)]
pub struct PdfRead {
    /// The text layer as blocks (tables where positions allow).
    pub document: Document,
    /// Pages in the PDF (only the first 2 000 are read).
    pub pages: usize,
    /// Non-whitespace characters in the text layer.
    pub text_chars: usize,
    /// Images and (next to) no text layer — fewer than 20 characters a page:
    /// a scan, which needs OCR to be read.
    pub scanned: bool,
}

thread_local! {
    static IN_READER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A panic inside the reader is caught and reported as an error, so its
/// message must not also go to stderr; panics elsewhere still print. The
/// hook is installed once and chains to the previous one.
fn install_quiet_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_READER.with(|f| f.get()) {
                previous(info);
            }
        }));
    });
}

/// Read a PDF into the document model. Never panics: the PDF library is run
/// behind `catch_unwind`, a panic becomes [`FormatError::Corrupt`].
pub fn pdf_to_document(bytes: &[u8]) -> Result<PdfRead, FormatError> {
    install_quiet_hook();
    IN_READER.with(|f| f.set(true));
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_pdf(bytes)));
    IN_READER.with(|f| f.set(false));
    match caught {
        Ok(result) => result,
        Err(panic) => {
            let msg = crate::panic::message(panic.as_ref());
            Err(FormatError::Corrupt(format!("PDF reader failed: {msg}")))
        }
    }
}

fn read_pdf(bytes: &[u8]) -> Result<PdfRead, FormatError> {
    let doc = lopdf::Document::load_mem(bytes).map_err(|e| {
        let msg = e.to_string();
        if msg.to_ascii_lowercase().contains("decrypt") || msg.contains("password") {
            FormatError::Encrypted
        } else {
            FormatError::Corrupt(format!("unreadable PDF: {msg}"))
        }
    })?;
    if doc.is_encrypted() && doc.encryption_state.is_none() {
        return Err(FormatError::Encrypted);
    }
    let pages = doc.get_pages();
    let page_count = pages.len();
    let mut blocks: Vec<PageBlock> = Vec::new();
    let mut text_chars = 0usize;
    let mut images = 0usize;
    let (mut content_bytes, mut fragments) = (0usize, 0usize);
    for (_, page_id) in pages.into_iter().take(MAX_PAGES) {
        if content_bytes >= MAX_DOC_CONTENT || fragments >= MAX_DOC_FRAGMENTS {
            break;
        }
        let mut page = PageInk::default();
        content_bytes += read_page(&doc, page_id, &mut page);
        fragments += page.fragments.len();
        text_chars += page
            .fragments
            .iter()
            .map(|f| f.text.chars().filter(|c| !c.is_whitespace()).count())
            .sum::<usize>();
        images += page.images;
        let width = page_width(&doc, page_id);
        let page_blocks = layout_page_with(page.fragments, &page.rules, width);
        join_across_page_break(&mut blocks, page_blocks);
    }
    let document = Document {
        blocks: blocks
            .into_iter()
            .map(|b| match b {
                PageBlock::Text(t) => Block::Text(t),
                PageBlock::Table(t) => Block::Table(t.table),
            })
            .collect(),
    };
    Ok(PdfRead {
        document,
        pages: page_count,
        text_chars,
        // Scanners and phone apps may add a few characters (a watermark, a
        // page label) to image pages; a report's text layer has thousands.
        scanned: images > 0 && text_chars < 20 * page_count.max(1),
    })
}

/// Width of the page's media box, looked up the page tree as PDF inherits it.
fn page_width(doc: &lopdf::Document, page_id: ObjectId) -> Option<f32> {
    let mut dict = doc.get_dictionary(page_id).ok()?;
    for _ in 0..32 {
        if let Some(b) = dict
            .get(b"MediaBox")
            .ok()
            .and_then(|o| deref(doc, o))
            .and_then(|o| o.as_array().ok())
            && b.len() == 4
        {
            let v: Vec<f32> = b.iter().filter_map(|o| o.as_float().ok()).collect();
            return (v.len() == 4).then(|| (v[2] - v[0]).abs());
        }
        let parent = dict.get(b"Parent").and_then(Object::as_reference).ok()?;
        dict = doc.get_dictionary(parent).ok()?;
    }
    None
}

/// Page furniture: a page number or running header, not report text.
fn is_furniture(block: &PageBlock) -> bool {
    matches!(block, PageBlock::Text(t) if t.chars().filter(|c| !c.is_whitespace()).count() <= 12)
}

/// Append a page's blocks. A ruled table at the top of the page (below any
/// running header) that goes on from the table at the bottom of the previous
/// page (above any page number) is joined to it; the furniture between the
/// two parts moves after the table.
fn join_across_page_break(blocks: &mut Vec<PageBlock>, mut page: Vec<PageBlock>) {
    let first_table = page.iter().position(|b| matches!(b, PageBlock::Table(_)));
    let last_table = blocks
        .iter()
        .rposition(|b| matches!(b, PageBlock::Table(_)));
    if let (Some(ti), Some(pi)) = (first_table, last_table)
        && page[..ti].iter().all(is_furniture)
        && blocks[pi + 1..].iter().all(is_furniture)
        && let (PageBlock::Table(prev), PageBlock::Table(next)) = (&blocks[pi], &page[ti])
        && continues(prev, next)
    {
        let trailing: Vec<PageBlock> = blocks.drain(pi + 1..).collect();
        let leading: Vec<PageBlock> = page.drain(..ti).collect();
        let next = page.remove(0);
        if let (Some(PageBlock::Table(prev)), PageBlock::Table(next)) = (blocks.last_mut(), next) {
            append_table(prev, next);
        }
        blocks.extend(trailing);
        blocks.extend(leading);
    }
    blocks.extend(page);
}

struct PageInk {
    fragments: Vec<Fragment>,
    rules: Vec<Rule>,
    images: usize,
    /// Operators still to run on this page: forms drawn by forms drawn by
    /// forms could otherwise multiply the work without bound.
    budget: usize,
}

/// Far more operators than a page of any report has.
const PAGE_OPERATOR_BUDGET: usize = 500_000;

impl Default for PageInk {
    fn default() -> Self {
        PageInk {
            fragments: Vec::new(),
            rules: Vec::new(),
            images: 0,
            budget: PAGE_OPERATOR_BUDGET,
        }
    }
}

/// An affine matrix [a b c d e f] as PDF writes it.
#[derive(Debug, Clone, Copy)]
struct Matrix([f32; 6]);

impl Matrix {
    const IDENTITY: Matrix = Matrix([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);

    /// `self` applied first, then `other`.
    fn then(self, other: Matrix) -> Matrix {
        let [a1, b1, c1, d1, e1, f1] = self.0;
        let [a2, b2, c2, d2, e2, f2] = other.0;
        Matrix([
            a1 * a2 + b1 * c2,
            a1 * b2 + b1 * d2,
            c1 * a2 + d1 * c2,
            c1 * b2 + d1 * d2,
            e1 * a2 + f1 * c2 + e2,
            e1 * b2 + f1 * d2 + f2,
        ])
    }

    fn apply(self, x: f32, y: f32) -> (f32, f32) {
        let [a, b, c, d, e, f] = self.0;
        (a * x + c * y + e, b * x + d * y + f)
    }

    fn translate(tx: f32, ty: f32) -> Matrix {
        Matrix([1.0, 0.0, 0.0, 1.0, tx, ty])
    }

    /// Vertical scale (for font size in page units).
    fn y_scale(self) -> f32 {
        (self.0[2] * self.0[2] + self.0[3] * self.0[3]).sqrt()
    }
}

fn matrix_from(ops: &[Object]) -> Option<Matrix> {
    if ops.len() < 6 {
        return None;
    }
    let mut m = [0f32; 6];
    for (i, o) in ops.iter().take(6).enumerate() {
        m[i] = o.as_float().ok()?;
        if !m[i].is_finite() {
            return None;
        }
    }
    Some(Matrix(m))
}

fn num(ops: &[Object], i: usize) -> Option<f32> {
    ops.get(i)
        .and_then(|o| o.as_float().ok())
        .filter(|v| v.is_finite())
}

/// How a font's codes become text.
enum Decoder<'a> {
    Lopdf(Encoding<'a>),
    /// GBK-based predefined CMaps, which lopdf leaves undecoded.
    Gbk,
    /// A font whose encoding could not be read: bytes as Latin-1.
    Latin1,
}

impl Decoder<'_> {
    fn decode(&self, bytes: &[u8]) -> String {
        match self {
            Decoder::Lopdf(enc) => enc
                .bytes_to_string(bytes)
                .unwrap_or_else(|_| String::from_utf8_lossy(bytes).into_owned()),
            Decoder::Gbk => encoding_rs::GBK
                .decode_without_bom_handling(bytes)
                .0
                .into_owned(),
            Decoder::Latin1 => bytes.iter().map(|&b| b as char).collect(),
        }
    }
}

/// Glyph widths (thousandths of an em), to know where a run ends.
enum Metrics {
    /// One-byte codes: `/FirstChar` and `/Widths`.
    Simple {
        first: u32,
        widths: Vec<f32>,
        missing: f32,
    },
    /// Two-byte codes that are CIDs (`Identity-H`): `/W` and `/DW`.
    Cid {
        widths: BTreeMap<u32, f32>,
        default: f32,
    },
    /// Unknown: estimated from the decoded characters.
    Estimate,
}

struct Font<'a> {
    decoder: Decoder<'a>,
    metrics: Metrics,
}

struct Resources<'a> {
    fonts: BTreeMap<Vec<u8>, Font<'a>>,
    xobjects: BTreeMap<Vec<u8>, ObjectId>,
}

fn load_font<'a>(doc: &'a lopdf::Document, font: &'a Dictionary) -> Font<'a> {
    Font {
        decoder: font_decoder(doc, font),
        metrics: font_metrics(doc, font),
    }
}

fn deref<'a>(doc: &'a lopdf::Document, obj: &'a Object) -> Option<&'a Object> {
    doc.dereference(obj).ok().map(|(_, o)| o)
}

fn font_metrics(doc: &lopdf::Document, font: &Dictionary) -> Metrics {
    let subtype = font.get(b"Subtype").and_then(Object::as_name).ok();
    if subtype == Some(b"Type0") {
        let identity = matches!(
            font.get(b"Encoding").and_then(Object::as_name),
            Ok(b"Identity-H") | Ok(b"Identity-V")
        );
        if !identity {
            return Metrics::Estimate;
        }
        let Some(desc) = font
            .get(b"DescendantFonts")
            .ok()
            .and_then(|o| deref(doc, o))
            .and_then(|o| o.as_array().ok())
            .and_then(|a| a.first())
            .and_then(|o| deref(doc, o))
            .and_then(|o| o.as_dict().ok())
        else {
            return Metrics::Estimate;
        };
        let default = desc.get(b"DW").and_then(Object::as_float).unwrap_or(1000.0);
        let mut widths = BTreeMap::new();
        if let Some(w) = desc
            .get(b"W")
            .ok()
            .and_then(|o| deref(doc, o))
            .and_then(|o| o.as_array().ok())
        {
            let mut i = 0;
            while i < w.len() && widths.len() < 70_000 {
                let Ok(first) = w[i].as_i64() else { break };
                let first = first.max(0) as u32;
                match w.get(i + 1).and_then(|o| deref(doc, o)) {
                    Some(Object::Array(list)) => {
                        for (k, v) in list.iter().enumerate() {
                            if let Ok(v) = v.as_float() {
                                widths.insert(first + k as u32, v);
                            }
                        }
                        i += 2;
                    }
                    Some(last) => {
                        let (Ok(last), Some(Ok(v))) =
                            (last.as_i64(), w.get(i + 2).map(Object::as_float))
                        else {
                            break;
                        };
                        let last = (last.max(0) as u32).min(first.saturating_add(70_000));
                        for c in first..=last {
                            widths.insert(c, v);
                        }
                        i += 3;
                    }
                    None => break,
                }
            }
        }
        return Metrics::Cid { widths, default };
    }
    let first = font.get(b"FirstChar").and_then(Object::as_i64).ok();
    let widths = font
        .get(b"Widths")
        .ok()
        .and_then(|o| deref(doc, o))
        .and_then(|o| o.as_array().ok());
    match (first, widths, subtype) {
        (Some(first), Some(widths), Some(t)) if t != b"Type3" => {
            let missing = font
                .get(b"FontDescriptor")
                .ok()
                .and_then(|o| deref(doc, o))
                .and_then(|o| o.as_dict().ok())
                .and_then(|d| d.get(b"MissingWidth").and_then(Object::as_float).ok())
                .unwrap_or(0.0);
            Metrics::Simple {
                first: first.clamp(0, 255) as u32,
                widths: widths
                    .iter()
                    .map(|o| {
                        deref(doc, o)
                            .and_then(|o| o.as_float().ok())
                            .unwrap_or(missing)
                    })
                    .collect(),
                missing,
            }
        }
        _ => Metrics::Estimate,
    }
}

impl Font<'_> {
    /// Advance of a string in text space (before the text matrix), in units of
    /// the font size, plus the count of single-byte spaces (for `Tw`).
    fn advance(&self, bytes: &[u8], decoded: &str, ts: &TextState) -> f32 {
        let per_glyph = |w: f32, is_space: bool| {
            (w / 1000.0 * ts.size + ts.char_spacing + if is_space { ts.word_spacing } else { 0.0 })
                * ts.h_scale
        };
        match &self.metrics {
            Metrics::Simple {
                first,
                widths,
                missing,
            } => bytes
                .iter()
                .map(|&b| {
                    let w = (b as u32)
                        .checked_sub(*first)
                        .and_then(|i| widths.get(i as usize))
                        .copied()
                        .unwrap_or(*missing);
                    per_glyph(w, b == b' ')
                })
                .sum(),
            Metrics::Cid { widths, default } => bytes
                .chunks(2)
                .map(|c| {
                    let cid = c.iter().fold(0u32, |a, &b| (a << 8) | b as u32);
                    per_glyph(widths.get(&cid).copied().unwrap_or(*default), false)
                })
                .sum(),
            Metrics::Estimate => decoded
                .chars()
                .map(|c| per_glyph(em_width(c) * 1000.0, c == ' '))
                .sum(),
        }
    }
}

fn font_decoder<'a>(doc: &'a lopdf::Document, font: &'a Dictionary) -> Decoder<'a> {
    if let Ok(name) = font.get(b"Encoding").and_then(Object::as_name)
        && matches!(
            name,
            b"GBK-EUC-H" | b"GBK-EUC-V" | b"GB-EUC-H" | b"GB-EUC-V" | b"GBpc-EUC-H" | b"GBK2K-H"
        )
    {
        return Decoder::Gbk;
    }
    match font.get_font_encoding(doc) {
        Ok(enc) => Decoder::Lopdf(enc),
        Err(_) => Decoder::Latin1,
    }
}

fn resources_from<'a>(doc: &'a lopdf::Document, res: Option<&'a Dictionary>) -> Resources<'a> {
    let mut fonts = BTreeMap::new();
    let mut xobjects = BTreeMap::new();
    if let Some(res) = res {
        if let Ok(font_dict) = res.get_deref(b"Font", doc).and_then(Object::as_dict) {
            for (name, value) in font_dict.iter() {
                let font = match value {
                    Object::Reference(id) => doc.get_dictionary(*id).ok(),
                    Object::Dictionary(d) => Some(d),
                    _ => None,
                };
                if let Some(font) = font {
                    fonts.insert(name.clone(), load_font(doc, font));
                }
            }
        }
        if let Ok(xo) = res.get_deref(b"XObject", doc).and_then(Object::as_dict) {
            for (name, value) in xo.iter() {
                if let Object::Reference(id) = value {
                    xobjects.insert(name.clone(), *id);
                }
            }
        }
    }
    Resources { fonts, xobjects }
}

/// Reads one page's ink; returns the content bytes decoded.
fn read_page(doc: &lopdf::Document, page_id: ObjectId, ink: &mut PageInk) -> usize {
    let Ok(raw) = doc.get_page_content_with_limit(page_id, MAX_PAGE_CONTENT) else {
        return 0;
    };
    let bytes = raw.len();
    let Ok(content) = Content::decode(&raw) else {
        return bytes;
    };
    drop(raw);
    // Page resources may be inherited from the page tree.
    let (res_dict, res_ids) = doc
        .get_page_resources(page_id)
        .unwrap_or((None, Vec::new()));
    let res_dict = res_dict.or_else(|| res_ids.iter().find_map(|id| doc.get_dictionary(*id).ok()));
    let mut resources = resources_from(doc, res_dict);
    // Fonts of inherited dictionaries the page itself does not name.
    if let Ok(fonts) = doc.get_page_fonts(page_id) {
        for (name, font) in fonts {
            resources
                .fonts
                .entry(name)
                .or_insert_with(|| load_font(doc, font));
        }
    }
    run(
        doc,
        &content.operations,
        &resources,
        Matrix::IDENTITY,
        ink,
        0,
    );
    bytes
}

#[derive(Clone, Copy)]
struct TextState {
    size: f32,
    char_spacing: f32,
    word_spacing: f32,
    h_scale: f32,
    leading: f32,
    rise: f32,
}

/// Estimated advance of a character in ems: CJK and full-width forms are
/// square, Latin about half; enough to find gaps between runs.
fn em_width(c: char) -> f32 {
    let u = c as u32;
    if (0x2E80..=0x9FFF).contains(&u)
        || (0xF900..=0xFAFF).contains(&u)
        || (0xFF00..=0xFF60).contains(&u)
        || (0x3000..=0x303F).contains(&u)
        || (0x20000..=0x3FFFF).contains(&u)
    {
        1.0
    } else if c == ' ' {
        0.28
    } else {
        0.55
    }
}

fn run(
    doc: &lopdf::Document,
    ops: &[lopdf::content::Operation],
    res: &Resources<'_>,
    base: Matrix,
    ink: &mut PageInk,
    depth: usize,
) {
    let mut ctm = base;
    let mut stack: Vec<(Matrix, TextState)> = Vec::new();
    let mut text = TextObject::new();
    let mut path = PathState::default();
    for op in ops {
        if ink.budget == 0 {
            return;
        }
        ink.budget -= 1;
        let o = &op.operands;
        let name = op.operator.as_str();
        match name {
            // Deeper nesting than any real producer writes is ignored.
            "q" if stack.len() < 256 => stack.push((ctm, text.ts)),
            "Q" => {
                if let Some((m, t)) = stack.pop() {
                    ctm = m;
                    text.ts = t;
                }
            }
            "cm" => {
                if let Some(m) = matrix_from(o) {
                    ctm = m.then(ctm);
                }
            }
            "BI" => ink.images += 1,
            "Do" => draw_xobject(doc, o, res, ctm, ink, depth),
            _ => {
                let _ = text.operate(name, o, res, ctm, ink)
                    || path.construct(name, o, ctm)
                    || path.paint(name, &mut ink.rules);
            }
        }
    }
}

/// Text state, text matrices and font: the text operators (`BT`, `Tf`, `Tc`,
/// `Tw`, `Tz`, `TL`, `Ts`, `Td`, `TD`, `Tm`, `T*`, `Tj`, `'`, `"`, `TJ`).
struct TextObject<'r> {
    ts: TextState,
    font: Option<&'r Font<'r>>,
    tm: Matrix,
    tlm: Matrix,
}

impl<'r> TextObject<'r> {
    fn new() -> Self {
        TextObject {
            ts: TextState {
                size: 0.0,
                char_spacing: 0.0,
                word_spacing: 0.0,
                h_scale: 1.0,
                leading: 0.0,
                rise: 0.0,
            },
            font: None,
            tm: Matrix::IDENTITY,
            tlm: Matrix::IDENTITY,
        }
    }

    /// Runs a text operator; false when `op` is not one.
    fn operate(
        &mut self,
        op: &str,
        o: &[Object],
        res: &'r Resources<'r>,
        ctm: Matrix,
        ink: &mut PageInk,
    ) -> bool {
        let ts = &mut self.ts;
        match op {
            "BT" => {
                self.tm = Matrix::IDENTITY;
                self.tlm = Matrix::IDENTITY;
            }
            "Tf" => {
                self.font = o
                    .first()
                    .and_then(|n| n.as_name().ok())
                    .and_then(|n| res.fonts.get(n));
                if let Some(s) = num(o, 1) {
                    ts.size = s;
                }
            }
            "Tc" => ts.char_spacing = num(o, 0).unwrap_or(0.0),
            "Tw" => ts.word_spacing = num(o, 0).unwrap_or(0.0),
            "Tz" => ts.h_scale = num(o, 0).unwrap_or(100.0) / 100.0,
            "TL" => ts.leading = num(o, 0).unwrap_or(0.0),
            "Ts" => ts.rise = num(o, 0).unwrap_or(0.0),
            "Td" | "TD" => {
                if let (Some(tx), Some(ty)) = (num(o, 0), num(o, 1)) {
                    if op == "TD" {
                        ts.leading = -ty;
                    }
                    self.tlm = Matrix::translate(tx, ty).then(self.tlm);
                    self.tm = self.tlm;
                }
            }
            "Tm" => {
                if let Some(m) = matrix_from(o) {
                    self.tlm = m;
                    self.tm = m;
                }
            }
            "T*" => {
                self.tlm = Matrix::translate(0.0, -ts.leading).then(self.tlm);
                self.tm = self.tlm;
            }
            "Tj" | "'" | "\"" | "TJ" => {
                if op == "'" || op == "\"" {
                    if op == "\"" {
                        ts.word_spacing = num(o, 0).unwrap_or(ts.word_spacing);
                        ts.char_spacing = num(o, 1).unwrap_or(ts.char_spacing);
                    }
                    self.tlm = Matrix::translate(0.0, -ts.leading).then(self.tlm);
                    self.tm = self.tlm;
                }
                let Some(f) = self.font else { return true };
                let items: Vec<&Object> = match (op, o.last()) {
                    ("TJ", Some(Object::Array(a))) => a.iter().collect(),
                    (_, Some(obj)) => vec![obj],
                    _ => return true,
                };
                show(&items, f, &self.ts, &mut self.tm, ctm, ink);
            }
            _ => return false,
        }
        true
    }
}

/// The path being built, in page space: segments, rectangles, the pen.
#[derive(Default)]
struct PathState {
    segments: Vec<((f32, f32), (f32, f32))>,
    rects: Vec<[(f32, f32); 4]>,
    current: Option<(f32, f32)>,
    start: Option<(f32, f32)>,
}

impl PathState {
    /// Runs a path construction operator (`m`, `l`, `c`, `v`, `y`, `h`,
    /// `re`); false when `op` is not one.
    fn construct(&mut self, op: &str, o: &[Object], ctm: Matrix) -> bool {
        match op {
            "m" => {
                if let (Some(x), Some(y)) = (num(o, 0), num(o, 1)) {
                    let p = ctm.apply(x, y);
                    self.current = Some(p);
                    self.start = Some(p);
                }
            }
            "l" => {
                if let (Some(x), Some(y), Some(from)) = (num(o, 0), num(o, 1), self.current) {
                    let p = ctm.apply(x, y);
                    self.segments.push((from, p));
                    self.current = Some(p);
                }
            }
            "c" | "v" | "y" => {
                // Curves are not borders; move the pen to the end point.
                let n = o.len();
                if n >= 2
                    && let (Some(x), Some(y)) = (num(o, n - 2), num(o, n - 1))
                {
                    self.current = Some(ctm.apply(x, y));
                }
            }
            "h" => {
                if let (Some(from), Some(to)) = (self.current, self.start) {
                    self.segments.push((from, to));
                    self.current = Some(to);
                }
            }
            "re" => {
                if let (Some(x), Some(y), Some(w), Some(h)) =
                    (num(o, 0), num(o, 1), num(o, 2), num(o, 3))
                {
                    let pts = [
                        ctm.apply(x, y),
                        ctm.apply(x + w, y),
                        ctm.apply(x + w, y + h),
                        ctm.apply(x, y + h),
                    ];
                    self.rects.push(pts);
                    self.current = Some(pts[0]);
                    self.start = Some(pts[0]);
                }
            }
            _ => return false,
        }
        true
    }

    /// Runs a path painting operator (stroke, fill, end), turning what was
    /// drawn into ruling lines; false when `op` is not one.
    fn paint(&mut self, op: &str, rules: &mut Vec<Rule>) -> bool {
        match op {
            "S" | "s" | "B" | "B*" | "b" | "b*" => {
                for &(a, b) in &self.segments {
                    push_rule(rules, a, b);
                }
                for r in &self.rects {
                    for i in 0..4 {
                        push_rule(rules, r[i], r[(i + 1) % 4]);
                    }
                }
            }
            "f" | "F" | "f*" => {
                // Filled thin rectangles are how Word draws cell borders.
                for r in &self.rects {
                    thin_rect_rule(rules, r);
                }
            }
            "n" => {}
            _ => return false,
        }
        self.segments.clear();
        self.rects.clear();
        self.current = None;
        true
    }
}

/// `Do`: an image is counted; a form is run with its own matrix and resources.
fn draw_xobject(
    doc: &lopdf::Document,
    o: &[Object],
    res: &Resources<'_>,
    ctm: Matrix,
    ink: &mut PageInk,
    depth: usize,
) {
    let Some(id) = o
        .first()
        .and_then(|n| n.as_name().ok())
        .and_then(|n| res.xobjects.get(n))
    else {
        return;
    };
    let Ok(stream) = doc.get_object(*id).and_then(Object::as_stream) else {
        return;
    };
    match stream.dict.get(b"Subtype").and_then(Object::as_name) {
        Ok(b"Image") => ink.images += 1,
        Ok(b"Form") if depth < MAX_FORM_DEPTH => {
            let Ok(data) = stream
                .decompressed_content_with_limit(MAX_PAGE_CONTENT)
                .or_else(|_| Ok::<_, lopdf::Error>(stream.content.clone()))
            else {
                return;
            };
            let Ok(content) = Content::decode(&data) else {
                return;
            };
            let form_matrix = stream
                .dict
                .get(b"Matrix")
                .and_then(Object::as_array)
                .ok()
                .and_then(|a| matrix_from(a))
                .unwrap_or(Matrix::IDENTITY);
            let form_res = stream
                .dict
                .get_deref(b"Resources", doc)
                .and_then(Object::as_dict)
                .ok();
            let inner = match form_res {
                Some(d) => resources_from(doc, Some(d)),
                None => Resources {
                    fonts: BTreeMap::new(),
                    xobjects: BTreeMap::new(),
                },
            };
            // A form without its own resources uses the page's.
            let inner_ref = if form_res.is_some() { &inner } else { res };
            run(
                doc,
                &content.operations,
                inner_ref,
                form_matrix.then(ctm),
                ink,
                depth + 1,
            );
        }
        _ => {}
    }
}

fn show(
    items: &[&Object],
    font: &Font<'_>,
    ts: &TextState,
    tm: &mut Matrix,
    ctm: Matrix,
    ink: &mut PageInk,
) {
    let mut text = String::new();
    let trm = Matrix::translate(0.0, ts.rise).then(*tm).then(ctm);
    let (x, y) = trm.apply(0.0, 0.0);
    let size = (ts.size * trm.y_scale()).abs();
    for item in items {
        match item {
            Object::String(bytes, _) => {
                let s = font.decoder.decode(bytes);
                let advance = font.advance(bytes, &s, ts);
                *tm = Matrix::translate(advance, 0.0).then(*tm);
                text.push_str(&s);
            }
            Object::Integer(_) | Object::Real(_) => {
                let adj = item.as_float().unwrap_or(0.0);
                if !adj.is_finite() {
                    continue;
                }
                // A large negative adjustment is a word gap written as kerning.
                if adj < -250.0 && !text.ends_with(' ') && !text.is_empty() {
                    text.push(' ');
                }
                *tm = Matrix::translate(-adj / 1000.0 * ts.size * ts.h_scale, 0.0).then(*tm);
            }
            _ => {}
        }
    }
    let text: String = text
        .chars()
        .filter(|c| !c.is_control() || *c == '\t')
        .collect();
    if text.is_empty() {
        return;
    }
    if ink.fragments.len() >= MAX_PAGE_FRAGMENTS {
        // The page's share of memory is spent: stop reading it.
        ink.budget = 0;
        return;
    }
    let (x_end, _) = Matrix::translate(0.0, ts.rise)
        .then(*tm)
        .then(ctm)
        .apply(0.0, 0.0);
    ink.fragments.push(Fragment {
        x: x.min(x_end),
        y,
        x_end: x.max(x_end),
        size: if size > 0.0 { size } else { 1.0 },
        text,
    });
}

fn push_rule(rules: &mut Vec<Rule>, a: (f32, f32), b: (f32, f32)) {
    let (dx, dy) = ((a.0 - b.0).abs(), (a.1 - b.1).abs());
    if dy <= 0.5 && dx > 0.0 {
        rules.push(Rule::Horizontal(
            (a.1 + b.1) / 2.0,
            a.0.min(b.0),
            a.0.max(b.0),
        ));
    } else if dx <= 0.5 && dy > 0.0 {
        rules.push(Rule::Vertical(
            (a.0 + b.0) / 2.0,
            a.1.min(b.1),
            a.1.max(b.1),
        ));
    }
}

fn thin_rect_rule(rules: &mut Vec<Rule>, r: &[(f32, f32); 4]) {
    let xs = r.iter().map(|p| p.0);
    let ys = r.iter().map(|p| p.1);
    let (x0, x1) = (
        xs.clone().fold(f32::MAX, f32::min),
        xs.fold(f32::MIN, f32::max),
    );
    let (y0, y1) = (
        ys.clone().fold(f32::MAX, f32::min),
        ys.fold(f32::MIN, f32::max),
    );
    let (w, h) = (x1 - x0, y1 - y0);
    if h <= 2.5 && w > h {
        rules.push(Rule::Horizontal((y0 + y1) / 2.0, x0, x1));
    } else if w <= 2.5 && h > w {
        rules.push(Rule::Vertical((x0 + x1) / 2.0, y0, y1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Cell;

    #[test]
    fn garbage_is_corrupt_not_a_panic() {
        for bytes in [
            &b""[..],
            b"%PDF-1.4\n",
            b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF",
            b"not a pdf at all",
        ] {
            let r = pdf_to_document(bytes);
            assert!(r.is_err() || r.as_ref().is_ok_and(|p| p.text_chars == 0), "{r:?}");
        }
    }

    /// A one-page PDF with Helvetica text and the given content stream.
    fn pdf_with(content: &str) -> Vec<u8> {
        pdf_with_form(content, None)
    }

    /// The same, with a form XObject `/Fm1` holding `form` (its own resources).
    fn pdf_with_form(content: &str, form: Option<&str>) -> Vec<u8> {
        use lopdf::{Stream, dictionary};
        let mut doc = lopdf::Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let font_id = doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "Type1",
            "BaseFont" => "Helvetica",
            "Encoding" => "WinAnsiEncoding",
        });
        let mut resources = dictionary! {
            "Font" => dictionary! { "F1" => font_id },
        };
        if let Some(form) = form {
            let form_id = doc.add_object(Stream::new(
                dictionary! {
                    "Type" => "XObject",
                    "Subtype" => "Form",
                    "BBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
                    "Matrix" => vec![1.into(), 0.into(), 0.into(), 1.into(), 0.into(), (-100).into()],
                    "Resources" => dictionary! { "Font" => dictionary! { "F1" => font_id } },
                },
                form.as_bytes().to_vec(),
            ));
            resources.set("XObject", dictionary! { "Fm1" => form_id });
        }
        let resources_id = doc.add_object(resources);
        let content_id = doc.add_object(Stream::new(dictionary! {}, content.as_bytes().to_vec()));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        });
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages",
                "Kids" => vec![page_id.into()],
                "Count" => 1,
            }),
        );
        let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog_id);
        let mut out = Vec::new();
        doc.save_to(&mut out).expect("writes");
        out
    }

    #[test]
    fn word_style_filled_borders_under_a_scaling_cm_make_a_table() {
        // Word draws borders as thin filled rectangles and scales its
        // coordinates with `cm`; a 2×2 grid at (100..300, 500..540) in page
        // space is written at twice the size under a 0.5 scale.
        let mut c = String::from("q 0.5 0 0 0.5 0 0 cm 0 0 0 rg\n");
        for y in [1000, 1040, 1080] {
            c.push_str(&format!("200 {y} 400 1 re f\n"));
        }
        for x in [200, 400, 600] {
            c.push_str(&format!("{x} 1000 1 80 re f\n"));
        }
        c.push_str("BT /F1 20 Tf 1 0 0 1 210 1050 Tm (Rules) Tj ET\n");
        c.push_str("BT /F1 20 Tf 1 0 0 1 410 1050 Tm [(1)-50(2)] TJ ET\n");
        c.push_str("BT /F1 20 Tf 1 0 0 1 210 1010 Tm (Total) Tj ET\n");
        c.push_str("BT /F1 20 Tf 1 0 0 1 410 1010 Tm (12) Tj ET\n");
        c.push_str("Q\nBT /F1 12 Tf 100 700 Td (Part three) Tj 0 -20 Td (next line) Tj ET\n");
        let read = pdf_to_document(&pdf_with(&c)).expect("reads");
        assert_eq!(read.pages, 1);
        assert!(!read.scanned);
        assert_eq!(
            read.document.blocks,
            vec![
                Block::Text("Part three".into()),
                Block::Text("next line".into()),
                Block::Table(crate::document::Table {
                    rows: vec![
                        vec![Cell::new("Rules"), Cell::new("12")],
                        vec![Cell::new("Total"), Cell::new("12")],
                    ]
                }),
            ]
        );
    }

    #[test]
    fn text_inside_form_xobjects_is_read_where_the_form_puts_it() {
        let pdf = pdf_with_form(
            "BT /F1 12 Tf 100 750 Td (Above) Tj ET q 1 0 0 1 0 -50 cm /Fm1 Do Q",
            Some("BT /F1 12 Tf 100 700 Td (Inside form) Tj ET"),
        );
        let read = pdf_to_document(&pdf).expect("reads");
        assert_eq!(
            read.document.blocks,
            vec![
                Block::Text("Above".into()),
                Block::Text("Inside form".into())
            ]
        );
        // Form at y = 700 − 100 (its matrix) − 50 (the cm): below "Above".
        assert_eq!(read.text_chars, "AboveInsideform".len());
    }

    #[test]
    fn identity_h_fonts_use_their_cid_widths() {
        use lopdf::{Stream, dictionary};
        let cmap = "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
            /CMapName /Adobe-Identity-UCS def /CMapType 2 def\n\
            1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
            2 beginbfchar <0001> <4E00> <0002> <4E8C> endbfchar\n\
            endcmap CMapName currentdict /CMap defineresource pop end end";
        let mut doc = lopdf::Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let to_unicode = doc.add_object(Stream::new(dictionary! {}, cmap.as_bytes().to_vec()));
        let cid_font = doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "CIDFontType2",
            "BaseFont" => "Test",
            "DW" => 1000,
            "W" => vec![1.into(), vec![500.into(), 2000.into()].into()],
        });
        let font = doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "Type0",
            "BaseFont" => "Test",
            "Encoding" => "Identity-H",
            "DescendantFonts" => vec![cid_font.into()],
            "ToUnicode" => to_unicode,
        });
        let resources = doc.add_object(dictionary! { "Font" => dictionary! { "F2" => font } });
        // Glyphs 1 and 2 are 0.5 + 2.0 em wide: the run ends at 125, so the
        // next run at 127 is 0.2 em away, no gap. Estimated from the text
        // (1 em a character) it would end at 120 and look 0.7 em apart.
        let content =
            "BT /F2 10 Tf 100 700 Td <00010002> Tj ET BT /F2 10 Tf 127 700 Td <0001> Tj ET";
        let content = doc.add_object(Stream::new(dictionary! {}, content.as_bytes().to_vec()));
        let page = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content,
            "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        });
        doc.objects.insert(
            pages_id,
            Object::Dictionary(
                dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
            ),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog);
        let mut bytes = Vec::new();
        doc.save_to(&mut bytes).expect("writes");
        let read = pdf_to_document(&bytes).expect("reads");
        assert_eq!(read.document.blocks, vec![Block::Text("一二一".into())]);
    }

    #[test]
    fn matrix_composition_applies_left_first() {
        let scale = Matrix([2.0, 0.0, 0.0, 2.0, 0.0, 0.0]);
        let shift = Matrix::translate(10.0, 5.0);
        assert_eq!(scale.then(shift).apply(1.0, 1.0), (12.0, 7.0));
        assert_eq!(shift.then(scale).apply(1.0, 1.0), (22.0, 12.0));
    }

    #[test]
    fn thin_filled_rectangles_are_borders() {
        let mut rules = Vec::new();
        thin_rect_rule(
            &mut rules,
            &[(0.0, 10.0), (100.0, 10.0), (100.0, 10.5), (0.0, 10.5)],
        );
        thin_rect_rule(
            &mut rules,
            &[(0.0, 0.0), (50.0, 0.0), (50.0, 40.0), (0.0, 40.0)],
        );
        assert_eq!(rules, vec![Rule::Horizontal(10.25, 0.0, 100.0)]);
    }
}
