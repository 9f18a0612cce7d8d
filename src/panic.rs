//! What a caught panic said: its message when it carried one.

use std::any::Any;

/// The message of a panic payload caught with `catch_unwind` (`panic!` with a
/// literal gives a `&str`, with a format a `String`).
pub(crate) fn message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn literal_and_formatted_messages_are_read() {
        let lit = std::panic::catch_unwind(|| panic!("plain")).unwrap_err();
        assert_eq!(super::message(lit.as_ref()), "plain");
        let n = 3;
        let fmt = std::panic::catch_unwind(|| panic!("page {n}")).unwrap_err();
        assert_eq!(super::message(fmt.as_ref()), "page 3");
        let other = std::panic::catch_unwind(|| std::panic::panic_any(7u8)).unwrap_err();
        assert_eq!(super::message(other.as_ref()), "unknown panic");
    }
}
