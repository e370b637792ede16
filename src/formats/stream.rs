//! Large inputs read in pieces, so that a report of a million cast vote
//! records is never held whole (issue 14, item 6: 200 MiB for a million
//! ballots from any format).
//!
//! - [`Input`]: bytes a reader can go through more than once: bytes in hand,
//!   or a file opened again for each pass (a CDF report keeps its `Election`s
//!   after its `CVR`s, so its readers make two passes).
//! - [`walk_object`]: the members of a top-level JSON object, read a chunk at
//!   a time, with the elements of one array member handed out one by one. It
//!   only finds where each value starts and ends (strings, nesting);
//!   serde_json parses each [`Piece`] it hands out ([`Piece::parse`]), so an
//!   error inside a value is found there and told at its line and column in
//!   the whole input.

use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use serde::Deserialize;

use super::read_error::{Location, ReadError};

/// Bytes read from a file at a time, and the walker's first buffer size.
const CHUNK: usize = 256 * 1024;

/// Bytes a reader can go through more than once.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// Bytes in hand (standard input, a test's text).
    Bytes(&'a [u8]),
    /// A file, opened again for each pass.
    File(&'a Path),
}

impl<'a> Input<'a> {
    /// Text in hand.
    pub fn text(text: &'a str) -> Self {
        Input::Bytes(text.as_bytes())
    }

    /// A reader from the first byte.
    pub fn open(&self) -> io::Result<Box<dyn BufRead + 'a>> {
        Ok(match *self {
            Input::Bytes(bytes) => Box::new(bytes),
            Input::File(path) => {
                Box::new(BufReader::with_capacity(CHUNK, std::fs::File::open(path)?))
            }
        })
    }

    /// Up to `n` bytes from the start.
    pub fn head(&self, n: usize) -> io::Result<Vec<u8>> {
        let mut head = Vec::with_capacity(n);
        self.open()?.take(n as u64).read_to_end(&mut head)?;
        Ok(head)
    }

    /// The 1-based line of byte `pos`: the input is read again up to it (for
    /// an error message, once).
    pub fn line_of(&self, pos: u64) -> usize {
        let Ok(reader) = self.open() else { return 1 };
        let mut reader = reader.take(pos);
        let mut lines = 1;
        loop {
            let n = match reader.fill_buf() {
                Ok([]) | Err(_) => return lines,
                Ok(buf) => {
                    lines += memchr::memchr_iter(b'\n', buf).count();
                    buf.len()
                }
            };
            reader.consume(n);
        }
    }
}

/// An error reading `input` itself (not its contents).
pub(crate) fn io_error(format: &'static str, e: &io::Error) -> ReadError {
    ReadError::new(format, Location::Input, format!("cannot read it: {e}"))
}

/// One JSON value of the input, where it starts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Piece<'a> {
    pub bytes: &'a [u8],
    /// 1-based line and column (in bytes) of its first byte in the input.
    line: usize,
    column: usize,
}

impl<'a> Piece<'a> {
    /// The piece parsed by serde_json; an error is told where it is in the
    /// whole input.
    pub fn parse<T: Deserialize<'a>>(&self, format: &'static str) -> Result<T, ReadError> {
        serde_json::from_slice(self.bytes).map_err(|e| self.error(format, &e))
    }

    /// A serde_json error in this piece, at its place in the whole input.
    fn error(&self, format: &'static str, e: &serde_json::Error) -> ReadError {
        let (line, column) = match e.line() {
            0 | 1 => (self.line, self.column + e.column().saturating_sub(1)),
            n => (self.line + n - 1, e.column()),
        };
        let message = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = message.strip_suffix(&suffix).unwrap_or(&message);
        ReadError::new(
            format,
            Location::Cell { line, column },
            format!("not valid JSON: {message}"),
        )
    }
}

/// What [`walk_object`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Walked {
    /// The input is not a JSON object (its first character is not `{`).
    NotAnObject,
    /// An object; `streamed`: whether its streamed member was an array (and
    /// its elements were handed out).
    Object { streamed: bool },
}

/// Walks the top-level JSON object of `source`: the first member named
/// `streamed` whose value is an array has each element handed to
/// `on_element` (with its index) as soon as it is read; every other member
/// goes to `on_member` with its key (a first `streamed` member that is not
/// an array too, for the caller to refuse). Only one value is held at a
/// time. The structure between the values (keys, `:`, `,`, brackets,
/// nothing after the object) is checked here; the values themselves are
/// checked when a caller parses them. An error of a callback stops the walk
/// and is returned as it is.
pub(crate) fn walk_object(
    format: &'static str,
    source: impl Read,
    streamed: &str,
    on_member: &mut dyn FnMut(&str, Piece<'_>) -> Result<(), ReadError>,
    on_element: &mut dyn FnMut(usize, Piece<'_>) -> Result<(), ReadError>,
) -> Result<Walked, ReadError> {
    let mut w = Walker {
        source,
        buf: vec![0; CHUNK],
        start: 0,
        end: 0,
        eof: false,
        line: 1,
        column: 1,
        format,
    };
    w.more(3)?;
    if w.buf[w.start..w.end].starts_with("\u{feff}".as_bytes()) {
        w.consume(3);
        w.column = 1;
    }
    if w.peek()? != Some(b'{') {
        return Ok(Walked::NotAnObject);
    }
    w.consume(1);
    let mut streamed_found = false;
    let mut first = true;
    loop {
        match w.peek()? {
            Some(b'}') if first => {
                w.consume(1);
                break;
            }
            Some(b'"') => {}
            _ => return Err(w.syntax("expected a member name (a string)")),
        }
        first = false;
        let key_len = w.value_len()?;
        let key: String = w.piece(key_len).parse(format)?;
        w.consume(key_len);
        if w.peek()? != Some(b':') {
            return Err(w.syntax("expected `:`"));
        }
        w.consume(1);
        if w.peek()?.is_none() {
            return Err(w.syntax("expected a value"));
        }
        if !streamed_found && key == streamed && w.buf[w.start] == b'[' {
            streamed_found = true;
            w.elements(on_element)?;
        } else {
            let len = w.value_len()?;
            on_member(&key, w.piece(len))?;
            w.consume(len);
        }
        match w.peek()? {
            Some(b',') => w.consume(1),
            Some(b'}') => {
                w.consume(1);
                break;
            }
            _ => return Err(w.syntax("expected `,` or `}`")),
        }
    }
    if w.peek()?.is_some() {
        return Err(w.syntax("expected nothing after the object"));
    }
    Ok(Walked::Object {
        streamed: streamed_found,
    })
}

/// The walker's window on the input: `buf[start..end]` is read and not yet
/// consumed; `line` and `column` are those of `buf[start]`.
struct Walker<R> {
    source: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    line: usize,
    column: usize,
    format: &'static str,
}

impl<R: Read> Walker<R> {
    /// Reads until more than `have` unconsumed bytes are in the window, or
    /// the input ends (false).
    fn more(&mut self, have: usize) -> Result<bool, ReadError> {
        while self.end - self.start <= have {
            if self.eof {
                return Ok(false);
            }
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.end == self.buf.len() {
                self.buf.resize(self.buf.len() * 2, 0);
            }
            match self.source.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(self.format, &e)),
            }
        }
        Ok(true)
    }

    /// Moves past `n` bytes of the window, keeping the line and column.
    fn consume(&mut self, n: usize) {
        let gone = &self.buf[self.start..self.start + n];
        match memchr::memrchr(b'\n', gone) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', gone).count();
                self.column = n - last;
            }
            None => self.column += n,
        }
        self.start += n;
    }

    /// The next byte that is not JSON whitespace (not consumed), or `None` at
    /// the end of the input.
    fn peek(&mut self) -> Result<Option<u8>, ReadError> {
        loop {
            let window = &self.buf[self.start..self.end];
            let blank = window
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
            match blank {
                Some(i) => {
                    self.consume(i);
                    return Ok(Some(self.buf[self.start]));
                }
                None => {
                    self.consume(window.len());
                    if !self.more(0)? {
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// The `len` bytes at the start of the window, as a piece.
    fn piece(&self, len: usize) -> Piece<'_> {
        Piece {
            bytes: &self.buf[self.start..self.start + len],
            line: self.line,
            column: self.column,
        }
    }

    fn syntax(&self, message: &str) -> ReadError {
        ReadError::new(
            self.format,
            Location::Cell {
                line: self.line,
                column: self.column,
            },
            format!("not valid JSON: {message}"),
        )
    }

    /// The length of the value at the start of the window (which holds its
    /// first byte), reading until all of it is in the window: a string, an
    /// object or array (to its matching bracket, strings skipped), or else a
    /// scalar up to the next `,`, `}`, `]` or whitespace.
    fn value_len(&mut self) -> Result<usize, ReadError> {
        let first = self.buf[self.start];
        if !matches!(first, b'"' | b'{' | b'[') {
            let mut i = 0;
            loop {
                let window = &self.buf[self.start + i..self.end];
                match window
                    .iter()
                    .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                {
                    Some(j) => i += j,
                    None => {
                        i += window.len();
                        if self.more(i)? {
                            continue;
                        }
                    }
                }
                return if i == 0 {
                    Err(self.syntax("expected a value"))
                } else {
                    Ok(i)
                };
            }
        }
        let mut scan = Scan::default();
        let mut i = 0;
        loop {
            if let Some(j) = scan.run(&self.buf[self.start + i..self.end]) {
                return Ok(i + j);
            }
            i = self.end - self.start;
            if !self.more(i)? {
                return Err(self.syntax("the input ends inside a value"));
            }
        }
    }

    /// Hands out each element of the array at the start of the window.
    fn elements(
        &mut self,
        on_element: &mut dyn FnMut(usize, Piece<'_>) -> Result<(), ReadError>,
    ) -> Result<(), ReadError> {
        self.consume(1);
        if self.peek()? == Some(b']') {
            self.consume(1);
            return Ok(());
        }
        for index in 0.. {
            if self.peek()?.is_none() {
                return Err(self.syntax("expected a value"));
            }
            let len = self.value_len()?;
            on_element(index, self.piece(len))?;
            self.consume(len);
            match self.peek()? {
                Some(b',') => self.consume(1),
                Some(b']') => {
                    self.consume(1);
                    return Ok(());
                }
                _ => return Err(self.syntax("expected `,` or `]`")),
            }
        }
        unreachable!("an array ends or fails before usize::MAX elements")
    }
}

/// Where a string, object or array ends, found across windows: the nesting
/// depth and whether the scan is inside a string (just after a `\`).
#[derive(Default)]
struct Scan {
    depth: usize,
    in_string: bool,
    escaped: bool,
}

impl Scan {
    /// Scans `bytes` (the value's bytes from where the last call stopped);
    /// `Some(n)`: the value ends after `bytes[n - 1]`.
    fn run(&mut self, bytes: &[u8]) -> Option<usize> {
        let mut j = 0;
        while j < bytes.len() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                    j += 1;
                    continue;
                }
                let k = memchr::memchr2(b'"', b'\\', &bytes[j..])?;
                j += k;
                if bytes[j] == b'\\' {
                    self.escaped = true;
                } else {
                    self.in_string = false;
                    if self.depth == 0 {
                        return Some(j + 1);
                    }
                }
            } else {
                match bytes[j] {
                    b'"' => self.in_string = true,
                    b'{' | b'[' => self.depth += 1,
                    b'}' | b']' => {
                        self.depth = self.depth.saturating_sub(1);
                        if self.depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
            }
            j += 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    /// Every member and streamed element as values, read through a reader
    /// that gives `step` bytes at a time (windows cut anywhere).
    /// The members (key, value) and the streamed elements of a walk.
    type Walk = (Vec<(String, Value)>, Vec<Value>);

    fn walk(text: &str, step: usize) -> Result<Walk, ReadError> {
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut members = Vec::new();
        let mut elements = Vec::new();
        let walked = walk_object(
            "test",
            Trickle(text.as_bytes(), step),
            "list",
            &mut |k, p| {
                members.push((k.to_owned(), p.parse("test")?));
                Ok(())
            },
            &mut |i, p| {
                assert_eq!(i, elements.len());
                elements.push(p.parse("test")?);
                Ok(())
            },
        )?;
        if walked == Walked::NotAnObject {
            return Err(ReadError::new("test", Location::Input, "not an object"));
        }
        Ok((members, elements))
    }

    #[test]
    fn members_and_elements_come_out_whole_however_the_input_is_cut() {
        let text = "\u{feff} {\"a\": 1, \"list\": [ {\"x\": \"}]\\\"\"}, [1, [2]], \"s\", -3.5e2, null ],\n\
                    \"b\" : {\"c\": [true]}, \"list\": 7, \"é\\n\": \"\"}  \n";
        let whole = walk(text, usize::MAX).unwrap();
        assert_eq!(
            whole.1,
            serde_json::from_str::<Vec<Value>>(r#"[{"x": "}]\""}, [1, [2]], "s", -3.5e2, null]"#)
                .unwrap()
        );
        let keys: Vec<&str> = whole.0.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["a", "b", "list", "é\n"]);
        for step in 1..12 {
            assert_eq!(walk(text, step).unwrap(), whole, "step {step}");
        }
    }

    #[test]
    fn errors_are_told_at_their_line_and_column_in_the_whole_input() {
        let at = |text: &str| match walk(text, 5).unwrap_err().location {
            Location::Cell { line, column } => (line, column),
            other => panic!("{other:?}"),
        };
        // Inside an element: where serde_json finds it reading the whole text.
        for text in [
            "{\"list\": [1,\n  {\"x\": tru}]}",
            "{\"list\": [1,\n  {\"x\":\n tru}]}",
            "{\"a\": [\"\\q\"]}",
        ] {
            let whole = serde_json::from_str::<Value>(text).unwrap_err();
            assert_eq!(at(text), (whole.line(), whole.column()), "{text}");
        }
        // Between the values: the walker's own.
        assert_eq!(at("{\"a\": 1\n \"b\": 2}"), (2, 2));
        assert_eq!(at("{\"list\": [1 2]}"), (1, 13));
        assert_eq!(at("{\"a\": 1} x"), (1, 10));
        assert_eq!(at("{\"list\": [1, {\"x\": \"}"), (1, 14));
        assert_eq!(at("{\"a\": 1,}"), (1, 9));
        assert_eq!(at("{\"list\": [1,]}"), (1, 13));
        assert!(matches!(
            walk_object(
                "t",
                "[1]".as_bytes(),
                "list",
                &mut |_, _| Ok(()),
                &mut |_, _| Ok(())
            ),
            Ok(Walked::NotAnObject)
        ));
    }

    #[test]
    fn the_line_of_a_byte_is_counted_from_the_input() {
        let input = Input::text("a\nb\n\nc");
        assert_eq!(
            [0, 1, 2, 4, 5, 99].map(|p| input.line_of(p)),
            [1, 1, 2, 3, 4, 4]
        );
    }

    proptest! {
        /// Any object of JSON values, pretty or not, cut anywhere: the walker
        /// hands out exactly serde_json's reading of it; any truncation is an
        /// error, never a panic.
        #[test]
        fn the_walk_agrees_with_serde_json(
            values in prop::collection::vec(any_value(), 0..6),
            pretty in any::<bool>(),
            step in 1usize..40,
        ) {
            let list = Value::Array(values.clone());
            let doc = serde_json::json!({"before": values.first(), "list": list, "after": "x"});
            let text = if pretty { serde_json::to_string_pretty(&doc) } else { serde_json::to_string(&doc) }.unwrap();
            let (members, elements) = walk(&text, step).unwrap();
            prop_assert_eq!(elements, values);
            prop_assert_eq!(members.len(), 2);
            for end in 0..text.len() {
                if text.is_char_boundary(end) {
                    prop_assert!(walk(&text[..end], step).is_err());
                }
            }
        }
    }

    fn any_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            "[a-z\"\\\\{}\\[\\],:é ]{0,6}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-z\"{]{0,3}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
