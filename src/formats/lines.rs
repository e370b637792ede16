//! Line-oriented text helpers shared by the readers.

/// Parses a positive ballot count.
pub(crate) fn parse_count(s: &str) -> Result<u64, String> {
    let s = s.trim();
    match s.parse::<u64>() {
        Ok(0) => Err("expected a positive ballot count, found 0".to_string()),
        Ok(n) => Ok(n),
        Err(_) if s.starts_with('-') => Err(format!(
            "expected a positive ballot count, found the negative {s:?}"
        )),
        Err(_) => Err(format!(
            "expected a positive whole ballot count, found {s:?}"
        )),
    }
}

/// Iterates lines with their 1-based numbers and byte offsets (of the line end),
/// accepting `\n` and `\r\n`.
pub(crate) fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str, usize)> {
    let mut offset = 0;
    text.split_inclusive('\n').enumerate().map(move |(i, raw)| {
        offset += raw.len();
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let line = line.strip_suffix('\r').unwrap_or(line);
        (i + 1, line, offset)
    })
}
