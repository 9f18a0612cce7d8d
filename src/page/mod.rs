//! A fetched page read once: its bytes decoded ([`charset`]), then the facts a
//! reader takes from it — title, publish date, source, editor, report year and
//! kind ([`facts`]). Discovery of its links lives in `crawl::discover`.

pub mod charset;
pub mod facts;
pub mod report_kind;
