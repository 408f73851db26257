//! A small pull reader for JSON answers the component takes apart member by member (query
//! answers, see [`crate::query`]): it hands out borrowed keys, number text and the raw text
//! of whole values, and checks everything it passes over as strictly as serde_json parses
//! a `Value` (grammar, numbers within an f64's range, no lone surrogates). The same check
//! passes the payloads of an upsert, which are sent as given ([`object_has_key`]).
//!
//! Why not serde: a query answer is mostly payload text that passes through unparsed, and
//! serde's derive, `Value` ids and `RawValue` cost about 6 µs of a search's guest time in
//! wasm, more than the rest of the answer's handling together.
//!
//! The scanning is done by free functions over `(bytes, position)` that return the end of
//! what they passed over, with a two-word error: in wasm, a cursor kept in `self` is stored
//! and reloaded around every step, and a `Result` carrying [`Error`] goes through memory.
//! Values are passed over without recursion ([`skip_value_at`]).
//!
//! Strings are checked for their escapes and control characters, not for UTF-8: callers
//! check the text they keep ([`JsonReader::skip`] and [`JsonReader::string`] do), and bytes
//! outside strings must be ASCII by the grammar.

use std::borrow::Cow;

use crate::Error;

/// Nesting deeper than this is an error, as serde_json (and so Qdrant's server) makes it.
const MAX_DEPTH: u32 = 127;

/// What was wrong, and at which byte.
type Malformed = (&'static str, usize);

fn malformed((what, at): Malformed) -> Error {
    crate::rest::decode(&format!("{what} at byte {at}"))
}

pub(crate) struct JsonReader<'a> {
    bytes: &'a [u8],
    at: usize,
    depth: u32,
}

impl<'a> JsonReader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        JsonReader {
            bytes,
            at: 0,
            depth: 0,
        }
    }

    /// The next byte that is not whitespace, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.at = skip_ws(self.bytes, self.at);
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8, what: &'static str) -> Result<(), Error> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(malformed((what, self.at)))
        }
    }

    /// Nothing but whitespace is left.
    pub(crate) fn end(&mut self) -> Result<(), Error> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(malformed(("trailing characters", self.at))),
        }
    }

    /// Consumes `null` if it comes next.
    pub(crate) fn null(&mut self) -> bool {
        let is_null = self.peek() == Some(b'n') && self.bytes[self.at..].starts_with(b"null");
        if is_null {
            self.at += 4;
        }
        is_null
    }

    /// Whether a string comes next.
    pub(crate) fn at_string(&mut self) -> bool {
        self.peek() == Some(b'"')
    }

    /// An object; `member` is called with each key and must consume the member's value.
    pub(crate) fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, &[u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.sequence(b'{', b'}', |reader| {
            let key = reader.string_text()?;
            reader.eat(b':', "expected `:`")?;
            match key {
                Cow::Borrowed(key) => member(reader, key),
                Cow::Owned(key) => member(reader, &key),
            }
        })
    }

    /// The value of the one member named `name` of an object, read by `read`; the other
    /// members are checked and passed over. Missing or given twice is an error.
    pub(crate) fn member<R>(
        &mut self,
        name: &str,
        mut read: impl FnMut(&mut Self) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let mut value = None;
        self.object(|reader, key| {
            if key != name.as_bytes() {
                return reader.skip_value();
            }
            if value.is_some() {
                return Err(crate::rest::decode(&format!("`{name}` twice")));
            }
            value = Some(read(reader)?);
            Ok(())
        })?;
        value.ok_or_else(|| crate::rest::decode(&format!("no `{name}`")))
    }

    /// An array; `item` is called for each element and must consume it.
    pub(crate) fn array(
        &mut self,
        item: impl FnMut(&mut Self) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.sequence(b'[', b']', item)
    }

    /// `open`, items separated by commas, `close`; `item` consumes one.
    fn sequence(
        &mut self,
        open: u8,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Result<(), Error>,
    ) -> Result<(), Error> {
        if self.peek() != Some(open) {
            return Err(malformed(("expected an object or array", self.at)));
        }
        self.at += 1;
        self.nest(|reader| {
            if reader.peek() == Some(close) {
                reader.at += 1;
                return Ok(());
            }
            loop {
                item(reader)?;
                match reader.peek() {
                    Some(b',') => reader.at += 1,
                    Some(b) if b == close => {
                        reader.at += 1;
                        return Ok(());
                    }
                    _ => return Err(malformed(("expected `,` or the end", reader.at))),
                }
            }
        })
    }

    fn nest(&mut self, inner: impl FnOnce(&mut Self) -> Result<(), Error>) -> Result<(), Error> {
        if self.depth == MAX_DEPTH {
            return Err(malformed(("nesting too deep", self.at)));
        }
        self.depth += 1;
        let outcome = inner(self);
        self.depth -= 1;
        outcome
    }

    /// A string's value, unescaped.
    pub(crate) fn string(&mut self) -> Result<Cow<'a, str>, Error> {
        let not_utf8 = |at| malformed(("a string is not UTF-8", at));
        match self.string_text()? {
            Cow::Borrowed(raw) => std::str::from_utf8(raw)
                .map(Cow::Borrowed)
                .map_err(|_| not_utf8(self.at)),
            Cow::Owned(unescaped) => String::from_utf8(unescaped)
                .map(Cow::Owned)
                .map_err(|_| not_utf8(self.at)),
        }
    }

    /// A string: its bytes between the quotes when it has no escapes (not checked for
    /// UTF-8), else its unescaped value.
    fn string_text(&mut self) -> Result<Cow<'a, [u8]>, Error> {
        if self.peek() != Some(b'"') {
            return Err(malformed(("expected a string", self.at)));
        }
        let start = self.at;
        let (end, escaped) = string_end(self.bytes, start).map_err(malformed)?;
        self.at = end;
        if !escaped {
            return Ok(Cow::Borrowed(&self.bytes[start + 1..end - 1]));
        }
        // Escapes are rare in what we read (keys, ids); serde_json undoes them.
        let raw = std::str::from_utf8(&self.bytes[start..end])
            .map_err(|_| malformed(("a string is not UTF-8", start)))?;
        serde_json::from_str::<String>(raw)
            .map(|text| Cow::Owned(text.into_bytes()))
            .map_err(|_| malformed(("bad string", start)))
    }

    /// A number's text, checked against JSON's grammar.
    pub(crate) fn number(&mut self) -> Result<&'a str, Error> {
        self.peek();
        let start = self.at;
        self.at = number_end(self.bytes, start).map_err(malformed)?;
        Ok(std::str::from_utf8(&self.bytes[start..self.at]).expect("ASCII by the grammar"))
    }

    /// Passes over any value; its text, checked for UTF-8.
    pub(crate) fn skip(&mut self) -> Result<&'a str, Error> {
        self.capture(Self::skip_value)
    }

    /// Runs `read` and returns the text it consumed, checked for UTF-8.
    pub(crate) fn capture(
        &mut self,
        read: impl FnOnce(&mut Self) -> Result<(), Error>,
    ) -> Result<&'a str, Error> {
        self.peek();
        let start = self.at;
        read(self)?;
        std::str::from_utf8(&self.bytes[start..self.at])
            .map_err(|_| malformed(("a value is not UTF-8", start)))
    }

    /// Passes over any value, checking its grammar (not its UTF-8).
    pub(crate) fn skip_value(&mut self) -> Result<(), Error> {
        self.at = skip_value_at(self.bytes, self.at, MAX_DEPTH - self.depth).map_err(malformed)?;
        Ok(())
    }
}

/// Checks that `text` is one JSON object, as strictly as serde_json parses one into a
/// `Value` once it is placed `outer_levels` deep in another document, but building nothing;
/// whether it has the top-level key `key`.
pub(crate) fn object_has_key(text: &[u8], key: &str, outer_levels: u32) -> Result<bool, Error> {
    let mut reader = JsonReader::new(text);
    reader.depth = outer_levels.min(MAX_DEPTH);
    let mut found = false;
    reader.object(|reader, name| {
        found |= name == key.as_bytes();
        reader.skip_value()
    })?;
    reader.end()?;
    Ok(found)
}

fn skip_ws(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = bytes.get(at) {
        at += 1;
    }
    at
}

/// Passes over the value at `at` (after whitespace), nested at most `max_depth` deep;
/// where it ends. Iterative: the open containers are bits of `objects`, innermost lowest.
fn skip_value_at(bytes: &[u8], at: usize, max_depth: u32) -> Result<usize, Malformed> {
    let mut at = skip_ws(bytes, at);
    let mut objects: u128 = 0;
    let mut depth = 0;
    loop {
        // A value starts at `at`.
        match bytes.get(at) {
            Some(&open @ (b'{' | b'[')) => {
                if depth == max_depth {
                    return Err(("nesting too deep", at));
                }
                depth += 1;
                objects = objects << 1 | u128::from(open == b'{');
                at = skip_ws(bytes, at + 1);
                let close = if open == b'{' { b'}' } else { b']' };
                if bytes.get(at) != Some(&close) {
                    if open == b'{' {
                        at = key_end(bytes, at)?;
                    }
                    continue;
                }
                at += 1;
                depth -= 1;
                objects >>= 1;
            }
            Some(b'"') => at = string_end(bytes, at)?.0,
            Some(b'-' | b'0'..=b'9') => at = number_end(bytes, at)?,
            Some(b't') => at = literal_end(bytes, at, b"true")?,
            Some(b'f') => at = literal_end(bytes, at, b"false")?,
            Some(b'n') => at = literal_end(bytes, at, b"null")?,
            _ => return Err(("expected a value", at)),
        }
        // After a value: close what ends here, then the next value, if any.
        loop {
            if depth == 0 {
                return Ok(at);
            }
            at = skip_ws(bytes, at);
            let in_object = objects & 1 == 1;
            match bytes.get(at) {
                Some(b',') => {
                    at = skip_ws(bytes, at + 1);
                    if in_object {
                        at = key_end(bytes, at)?;
                    }
                    break;
                }
                Some(b'}') if in_object => {}
                Some(b']') if !in_object => {}
                _ => return Err(("expected `,` or the container's end", at)),
            }
            at += 1;
            depth -= 1;
            objects >>= 1;
        }
    }
}

/// Passes over `"key":` and the whitespace after it.
fn key_end(bytes: &[u8], at: usize) -> Result<usize, Malformed> {
    if bytes.get(at) != Some(&b'"') {
        return Err(("expected a key", at));
    }
    let at = skip_ws(bytes, string_end(bytes, at)?.0);
    if bytes.get(at) != Some(&b':') {
        return Err(("expected `:`", at));
    }
    Ok(skip_ws(bytes, at + 1))
}

fn literal_end(bytes: &[u8], at: usize, word: &[u8]) -> Result<usize, Malformed> {
    if bytes[at..].starts_with(word) {
        Ok(at + word.len())
    } else {
        Err(("expected a value", at))
    }
}

/// Where the string opening at `at` ends (past its closing quote), and whether it has
/// escapes.
fn string_end(bytes: &[u8], at: usize) -> Result<(usize, bool), Malformed> {
    let mut at = at + 1;
    let mut escaped = false;
    loop {
        at = plain_string_bytes_end(bytes, at);
        match bytes.get(at) {
            Some(b'"') => return Ok((at + 1, escaped)),
            Some(b'\\') => {
                escaped = true;
                at += match bytes.get(at + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => 2,
                    Some(b'u') => unicode_escape_len(bytes, at)?,
                    _ => return Err(("bad escape in a string", at)),
                };
            }
            Some(_) => return Err(("control character in a string", at)),
            None => return Err(("unterminated string", at)),
        }
    }
}

/// The length of the `\uXXXX` escape at `at`, or of the two that make a surrogate pair;
/// a lone surrogate is an error, as serde_json makes it (a string cannot hold one).
fn unicode_escape_len(bytes: &[u8], at: usize) -> Result<usize, Malformed> {
    let unit = |at: usize| {
        let hex = bytes.get(at..at + 4)?;
        // Checked first: `from_str_radix` would also take a sign.
        if !hex.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
    };
    match unit(at + 2) {
        None => Err(("bad escape in a string", at)),
        Some(0xD800..=0xDBFF)
            if bytes.get(at + 6..at + 8) == Some(&b"\\u"[..])
                && unit(at + 8).is_some_and(|low| (0xDC00..=0xDFFF).contains(&low)) =>
        {
            Ok(12)
        }
        Some(0xD800..=0xDFFF) => Err(("lone surrogate in a string", at)),
        Some(_) => Ok(6),
    }
}

/// Advances over bytes that need no attention in a string (not `"`, `\` or a control
/// character), eight at a time while it can.
fn plain_string_bytes_end(bytes: &[u8], mut at: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        // Bytes below 0x20 (controls), or equal to `"` or `\`; bytes of 0x80 and up
        // (UTF-8) never match.
        let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
        let special = below_space
            | has_zero_byte(x ^ (ONES * u64::from(b'"')))
            | has_zero_byte(x ^ (ONES * u64::from(b'\\')));
        if special != 0 {
            break;
        }
        at += 8;
    }
    while let Some(&b) = bytes.get(at) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        at += 1;
    }
    at
}

/// Where the number starting at `at` ends, checked against JSON's grammar.
fn number_end(bytes: &[u8], start: usize) -> Result<usize, Malformed> {
    let digits = |mut at: usize| {
        while bytes.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        at
    };
    let bad = ("bad number", start);
    let int_start = start + usize::from(bytes.get(start) == Some(&b'-'));
    let mut at = digits(int_start);
    let int_digits = at - int_start;
    if int_digits == 0 || (bytes[int_start] == b'0' && int_digits > 1) {
        return Err(bad);
    }
    if bytes.get(at) == Some(&b'.') {
        let fraction = at + 1;
        at = digits(fraction);
        if at == fraction {
            return Err(bad);
        }
    }
    // Decimal digits before the point once the exponent is applied: below about 300 the
    // number is within an f64's range whatever its digits.
    let mut magnitude = int_digits;
    if matches!(bytes.get(at), Some(b'e' | b'E')) {
        at += 1;
        let negative = bytes.get(at) == Some(&b'-');
        if matches!(bytes.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        let exponent = at;
        at = digits(exponent);
        if at == exponent {
            return Err(bad);
        }
        if !negative {
            let exponent = &bytes[exponent..at];
            magnitude += match std::str::from_utf8(exponent).map(str::parse::<u16>) {
                Ok(Ok(e)) if exponent.len() <= 4 => usize::from(e),
                _ => usize::MAX / 2,
            };
        }
    }
    // serde_json rejects a number beyond an f64's range (Qdrant would reject the request);
    // near that edge, it decides.
    if magnitude > 300 {
        let text = std::str::from_utf8(&bytes[start..at]).expect("ASCII by the grammar");
        if serde_json::from_str::<f64>(text).is_err() {
            return Err(("number out of range", start));
        }
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The raw text of a whole document, as the reader skips it.
    fn skipped(text: &str) -> Result<&str, Error> {
        let mut reader = JsonReader::new(text.as_bytes());
        let raw = reader.skip()?;
        reader.end()?;
        Ok(raw)
    }

    #[test]
    fn agrees_with_serde_json_on_valid_and_invalid_documents() {
        let cases = [
            r#"{"a":[1,-2.5e+3,0,0.0,1E9,true,false,null,"x\"\\\/\b\f\n\r\tA"],"b":{}}"#,
            r#" [ ] "#,
            r#""long enough to take the eight-byte path, with ü and 😀 inside""#,
            r#"{"nested":{"deeper":[[[{"k":"v"}]]]}}"#,
            r#"-0"#,
            r#"{"a":1,}"#,
            r#"[1,]"#,
            r#"{"a" 1}"#,
            r#"{a:1}"#,
            r#"01"#,
            r#"1."#,
            r#".5"#,
            r#"1e"#,
            r#"-"#,
            r#"tru"#,
            r#"nul"#,
            r#""\x""#,
            r#""\u12G4""#,
            "\"tab\there\"",
            r#""unterminated"#,
            r#"{"a":1"#,
            r#"[1 2]"#,
            r#"{"a":1} x"#,
            "",
            // Surrogates: a pair is one character; either half alone is no string.
            r#""\ud83d\ude00""#,
            r#""\uD83D\uDE00 and more text after it""#,
            r#""\ud83d""#,
            r#""\ude00""#,
            r#""\ud83dx""#,
            r#""\ud83d\u0041""#,
            r#""\ud83d\n""#,
            r#""\ud83d\ud83d""#,
            r#""\u+123""#,
            // Numbers at the edges of an f64's range.
            "1e308",
            "1e309",
            "-1e309",
            "1E+400",
            "1e0400",
            "1.7976931348623157e308",
            "1.7976931348623159e308",
            "0.000001e314",
            "1e-400",
            "0e99999",
            "123456789012345678901234567890",
        ];
        let long_integers = [300, 308, 309, 400].map(|digits| "9".repeat(digits));
        let cases = cases
            .iter()
            .copied()
            .chain(long_integers.iter().map(String::as_str));
        for case in cases {
            let ours = skipped(case);
            let serde = serde_json::from_str::<serde_json::Value>(case);
            assert_eq!(
                ours.is_ok(),
                serde.is_ok(),
                "{case:?}: {ours:?} vs {serde:?}"
            );
            if let Ok(raw) = ours {
                assert_eq!(raw, case.trim(), "{case:?}");
            }
        }
    }

    #[test]
    fn every_cut_of_a_document_is_an_error_not_a_panic() {
        let doc = r#"{"result":{"points":[{"id":"a\u00e9","score":-1.5e-3,"payload":{"t":[true,null]}}]}}"#;
        for end in 0..doc.len() {
            assert!(skipped(&doc[..end]).is_err(), "{}", &doc[..end]);
        }
        assert!(skipped(doc).is_ok());
    }

    #[test]
    fn special_bytes_are_found_at_every_position_of_a_chunk() {
        for at in 0..20 {
            for special in ["\\n", "\\\"", "\u{1}"] {
                let text = format!("\"{}{special}{}\"", "a".repeat(at), "b".repeat(9));
                let serde_ok = serde_json::from_str::<String>(&text).is_ok();
                assert_eq!(skipped(&text).is_ok(), serde_ok, "{text:?}");
            }
        }
    }

    #[test]
    fn nesting_stops_where_serde_json_stops() {
        let nested = |levels: usize| format!("{}{}", "[".repeat(levels), "]".repeat(levels));
        for levels in [1, 100, 126, 127, 128, 129, 200] {
            let text = nested(levels);
            let serde_ok = serde_json::from_str::<serde_json::Value>(&text).is_ok();
            assert_eq!(skipped(&text).is_ok(), serde_ok, "{levels} levels");
        }
        assert!(skipped(&nested(127)).is_ok());
        // In an object read member by member, the levels count from the outside.
        let object = |levels: usize| format!("{{\"k\":{}}}", nested(levels - 1));
        assert!(object_has_key(object(127).as_bytes(), "k", 0).is_ok());
        assert!(object_has_key(object(128).as_bytes(), "k", 0).is_err());
        assert!(object_has_key(object(124).as_bytes(), "k", 3).is_ok());
        assert!(object_has_key(object(125).as_bytes(), "k", 3).is_err());
    }

    #[test]
    fn an_object_is_checked_and_only_its_own_keys_are_found() {
        let has = |text: &str| object_has_key(text.as_bytes(), "_string_id", 0);
        assert!(!has(r#"{"inner":{"_string_id":1},"k":"_string_id"}"#).unwrap());
        assert!(!has(r#"{"list":[{"_string_id":1}]}"#).unwrap());
        assert!(has(r#" {"a":1, "_string_id" : "x"} "#).unwrap());
        assert!(has(r#"{"\u005fstring_id":"x"}"#).unwrap());
        for bad in [
            r#"{"a":1} {"b":2}"#,
            "[1]",
            r#""text""#,
            "",
            r#"{"a":1e400}"#,
        ] {
            assert!(has(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_and_strings_come_unescaped() {
        let mut reader = JsonReader::new(br#"{"i\u0064":"x\ny","plain":"p"}"#);
        let mut seen = Vec::new();
        reader
            .object(|reader, key| {
                seen.push((
                    String::from_utf8(key.to_vec()).unwrap(),
                    reader.string()?.into_owned(),
                ));
                Ok(())
            })
            .unwrap();
        assert_eq!(
            seen,
            [("id".into(), "x\ny".into()), ("plain".into(), "p".into())]
        );
    }

    #[test]
    fn invalid_utf8_in_kept_text_is_an_error() {
        let bytes = b"{\"k\":\"\xff\"}";
        assert!(JsonReader::new(bytes).skip().is_err());
        let mut reader = JsonReader::new(b"\"\xff\"");
        assert!(reader.string().is_err());
    }
}
