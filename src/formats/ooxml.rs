//! Helpers the Office Open XML readers share (DOCX body, numbering, styles).

use quick_xml::events::BytesStart;

/// An attribute's value, entities resolved; `None` when absent or malformed.
pub(crate) fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.try_get_attribute(name).ok().flatten().and_then(|a| {
        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .ok()
            .map(|v| v.into_owned())
    })
}

/// An attribute read as a number (`w:val="3"`); `None` when absent or not one.
pub(crate) fn attr_num<T: std::str::FromStr>(e: &BytesStart<'_>, name: &str) -> Option<T> {
    attr(e, name).and_then(|v| v.trim().parse().ok())
}
