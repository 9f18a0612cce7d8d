//! An error and its causes on one line, each cause said once: many of the
//! library's messages already end with their source ("cannot read seeds from
//! X: {source}"), and anyhow's `{:#}` would print that source a second time.

/// `e`, then each cause its message does not already end with, joined by ": ".
pub fn one_line(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let said = c.to_string();
        if !out.ends_with(&said) {
            out.push_str(": ");
            out.push_str(&said);
        }
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_already_in_its_message_is_said_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e = anyhow::Error::new(crate::seeds::SeedError::Read {
            path: "/x.csv".into(),
            source: io,
        })
        .context("loading the seeds");
        assert_eq!(
            one_line(&*e),
            "loading the seeds: cannot read seeds from /x.csv: no such file"
        );
    }

    #[test]
    fn a_cause_not_in_its_message_is_added() {
        let e = anyhow::Error::new(std::io::Error::other("disk full")).context("writing x.csv");
        assert_eq!(one_line(&*e), "writing x.csv: disk full");
    }
}
