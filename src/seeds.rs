//! Seed CSV files (`agency,region,level,url,aliases`) → seed rows and the agencies they name.
//!
//! A row may name an agency with no URL (it must publish, but its report is
//! hosted elsewhere), a URL with no agency (a portal column hosting many
//! agencies' reports), or both. Several rows may share an agency.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use url::Url;

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("cannot read seeds from {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Row {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("no seed files (*.csv) found in {0}")]
    Empty(PathBuf),
}

/// One line of a seed file.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedRow {
    pub agency: Option<String>,
    pub region: String,
    pub level: String,
    pub url: Option<Url>,
    pub aliases: Vec<String>,
    pub file: PathBuf,
    pub line: usize,
}

/// An agency that must publish a report, merged over all rows naming it.
#[derive(Debug, Clone, PartialEq)]
pub struct Agency {
    pub name: String,
    pub region: String,
    pub level: String,
    pub aliases: Vec<String>,
}

impl Agency {
    /// The name and every alias, longest first (attribution prefers the longest match).
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = std::iter::once(self.name.as_str())
            .chain(self.aliases.iter().map(String::as_str))
            .collect();
        names.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
        names.dedup();
        names
    }
}

const HEADER: [&str; 5] = ["agency", "region", "level", "url", "aliases"];

/// Loads seed rows from files and/or folders of `*.csv` (read in name order).
pub fn load(paths: &[PathBuf]) -> Result<Vec<SeedRow>, SeedError> {
    let mut rows = Vec::new();
    for path in paths {
        for file in csv_files(path)? {
            let text = std::fs::read(&file).map_err(|source| SeedError::Read {
                path: file.clone(),
                source,
            })?;
            rows.extend(parse(&text, &file)?);
        }
    }
    Ok(rows)
}

fn csv_files(path: &Path) -> Result<Vec<PathBuf>, SeedError> {
    let read_err = |source| SeedError::Read {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read_err)?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(read_err)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(SeedError::Empty(path.to_path_buf()));
    }
    Ok(files)
}

/// Parses one seed file's bytes (UTF-8, BOM tolerated); `path` names it in errors.
pub fn parse(bytes: &[u8], path: &Path) -> Result<Vec<SeedRow>, SeedError> {
    let row_err = |line: usize, message: String| SeedError::Row {
        path: path.to_path_buf(),
        line,
        message,
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        row_err(line, "not valid UTF-8 (save the seed file as UTF-8)".into())
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| row_err(1, e.to_string()))?
        .clone();
    let header: Vec<String> = headers.iter().map(|h| h.to_ascii_lowercase()).collect();
    if header.iter().map(String::as_str).ne(HEADER.iter().copied()) {
        return Err(row_err(
            1,
            format!(
                "header must be `{}`, found `{}`",
                HEADER.join(","),
                header.join(",")
            ),
        ));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            row_err(line, e.to_string())
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() > HEADER.len() {
            return Err(row_err(
                line,
                format!("{} fields, expected at most {}", record.len(), HEADER.len()),
            ));
        }
        if let Some(i) = record.iter().position(|f| f.contains(['\n', '\r'])) {
            // Only a quote left open makes a field span lines: it has swallowed
            // the rows after it into this one.
            return Err(row_err(
                line,
                format!(
                    "column `{}` runs over several lines: a `\"` opened here is never closed, so the rows after it were read as part of this field; remove the stray quote or close it",
                    HEADER.get(i).copied().unwrap_or("?")
                ),
            ));
        }
        let field = |i: usize| record.get(i).unwrap_or("").trim().to_string();
        let agency = Some(field(0)).filter(|s| !s.is_empty());
        let url = match field(3) {
            s if s.is_empty() => None,
            s => {
                let url = Url::parse(&s)
                    .map_err(|e| row_err(line, format!("column `url`: {s:?} is not a URL: {e}")))?;
                if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                    return Err(row_err(
                        line,
                        format!("column `url`: {s:?} must be an http(s) URL with a host"),
                    ));
                }
                Some(url)
            }
        };
        if agency.is_none() && url.is_none() {
            return Err(row_err(
                line,
                "a row needs an agency, a url, or both".into(),
            ));
        }
        let aliases = field(4)
            .split([';', '；', '|'])
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect();
        rows.push(SeedRow {
            agency,
            region: field(1),
            level: field(2),
            url,
            aliases,
            file: path.to_path_buf(),
            line,
        });
    }
    Ok(rows)
}

/// The agencies named by the rows, merged by name (region/level from the first row
/// that gives them, aliases from all rows).
pub fn agencies(rows: &[SeedRow]) -> Vec<Agency> {
    let mut by_name: BTreeMap<&str, Agency> = BTreeMap::new();
    for row in rows {
        let Some(name) = row.agency.as_deref() else {
            continue;
        };
        let agency = by_name.entry(name).or_insert_with(|| Agency {
            name: name.to_string(),
            region: String::new(),
            level: String::new(),
            aliases: Vec::new(),
        });
        if agency.region.is_empty() {
            agency.region = row.region.clone();
        }
        if agency.level.is_empty() {
            agency.level = row.level.clone();
        }
        for alias in &row.aliases {
            if alias != name && !agency.aliases.contains(alias) {
                agency.aliases.push(alias.clone());
            }
        }
    }
    by_name.into_values().collect()
}

impl SeedRow {
    /// True when the row's agency, an alias or its region contains `filter` (`crawl --agency`).
    pub fn matches(&self, filter: &str) -> bool {
        self.agency.as_deref().is_some_and(|a| a.contains(filter))
            || self.region.contains(filter)
            || self.aliases.iter().any(|a| a.contains(filter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("seeds/test.csv")
    }

    #[test]
    fn parses_rows_of_every_kind_with_bom() {
        let text = "\u{feff}agency,region,level,url,aliases\n\
            沈阳市辽中区人民政府办公室,辽宁省沈阳市辽中区,区县,https://www.liaozhong.gov.cn/xxgk/ndbg/,辽中区政府办\n\
            肖寨门镇人民政府,辽宁省沈阳市辽中区,乡镇,,肖寨门镇;肖寨门镇政府\n\
            ,辽宁省沈阳市,,https://www.shenyang.gov.cn/zwgk/zfxxgkndgzbg/,\n";
        let rows = parse(text.as_bytes(), p()).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0].agency.as_deref(),
            Some("沈阳市辽中区人民政府办公室")
        );
        assert_eq!(rows[0].line, 2);
        assert!(rows[1].url.is_none());
        assert_eq!(rows[1].aliases, vec!["肖寨门镇", "肖寨门镇政府"]);
        assert!(rows[2].agency.is_none());
        assert_eq!(
            rows[2].url.as_ref().unwrap().host_str(),
            Some("www.shenyang.gov.cn")
        );
    }

    #[test]
    fn bad_url_names_file_line_and_column() {
        let text = "agency,region,level,url,aliases\nA,,,https://a.example/,\nB,,,not a url,\n";
        let err = parse(text.as_bytes(), p()).unwrap_err().to_string();
        assert!(err.starts_with("seeds/test.csv:3: column `url`"), "{err}");
    }

    #[test]
    fn bad_header_and_empty_rows() {
        let err = parse(b"name,url\nA,http://a.example/\n", p())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("seeds/test.csv:1: header must be"), "{err}");
        let err = parse(b"agency,region,level,url,aliases\n,r,,,\n", p())
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "seeds/test.csv:2: a row needs an agency, a url, or both"
        );
    }

    #[test]
    fn non_utf8_is_reported_with_its_line() {
        let mut bytes = b"agency,region,level,url,aliases\n".to_vec();
        bytes.extend(encoding_rs::GBK.encode("某局,,,,\n").0.iter());
        let err = parse(&bytes, p()).unwrap_err().to_string();
        assert!(
            err.starts_with("seeds/test.csv:2: not valid UTF-8"),
            "{err}"
        );
    }

    #[test]
    fn agencies_merge_rows_and_order_names_longest_first() {
        let text = "agency,region,level,url,aliases\n\
            新乡市卫滨区人民政府,河南省新乡市卫滨区,区县,http://a.example/,卫滨区\n\
            新乡市卫滨区人民政府,,,http://b.example/,卫滨区人民政府\n";
        let rows = parse(text.as_bytes(), p()).unwrap();
        let agencies = agencies(&rows);
        assert_eq!(agencies.len(), 1);
        assert_eq!(agencies[0].region, "河南省新乡市卫滨区");
        assert_eq!(
            agencies[0].names(),
            vec!["新乡市卫滨区人民政府", "卫滨区人民政府", "卫滨区"]
        );
        assert_eq!(rows.iter().filter(|r| r.matches("卫滨")).count(), 2);
        assert!(!rows[0].matches("辽中"));
    }

    #[test]
    fn a_stray_quote_is_an_error_naming_its_line() {
        let text = "agency,region,level,url,aliases\n甲局,市,市级,http://a.gov.cn/,\n\"乙局,市,市级,http://b.gov.cn/,\n丙局,市,市级,http://c.gov.cn/,\n丁局,市,市级,,\n";
        let err = parse(text.as_bytes(), Path::new("seeds/x.csv"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("seeds/x.csv:3: column `agency`"), "{err}");
        assert!(err.contains("never closed"), "{err}");
    }
}
