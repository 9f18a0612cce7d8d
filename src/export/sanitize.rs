//! Text from pages made safe for where it is shown: CSV cells that a
//! spreadsheet would run as formulas are neutralised (as OWASP advises for
//! CSV injection), and control characters never reach a terminal.

use std::borrow::Cow;

/// A CSV text cell that a spreadsheet would read as a formula (`=`, `+`, `-`,
/// `@` first, also behind leading blanks, or a leading tab or CR) gets a `'`
/// in front, which spreadsheets show as text. Other cells are unchanged.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    let risky_start = s.starts_with(['\t', '\r']);
    let risky_formula = s
        .trim_start_matches([' ', '\t', '\r', '\n'])
        .starts_with(['=', '+', '-', '@']);
    if risky_start || risky_formula {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// Text for a terminal: control characters (escape sequences, CR, BEL,
/// backspace, C1 controls …) become `�`; newlines and tabs stay.
pub fn terminal(s: &str) -> Cow<'_, str> {
    let bad = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| if bad(c) { '\u{FFFD}' } else { c })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_and_others_kept() {
        for (cell, want) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1+2", "'+1+2"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1+1", "'\t=1+1"),
            ("\r=1+1", "'\r=1+1"),
            ("  =1+1", "'  =1+1"),
            ("\tplain", "'\tplain"),
            ("沈阳市人民政府", "沈阳市人民政府"),
            ("2023", "2023"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(csv_cell(cell), want, "{cell:?}");
        }
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        assert_eq!(
            terminal("标题\x1b[2J\x1b]0;owned\x07\r\u{9b}31m\u{8}x\n\tok"),
            "标题\u{FFFD}[2J\u{FFFD}]0;owned\u{FFFD}\u{FFFD}\u{FFFD}31m\u{FFFD}x\n\tok"
        );
        assert!(matches!(terminal("plain\n"), Cow::Borrowed(_)));
    }
}
