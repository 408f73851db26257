//! Differential tests: the hand-written parsers and formatter agree with serde_json on
//! generated input. Documents are random JSON values, written out and then, half of the
//! time, damaged (bytes inserted, removed, replaced, cut); each parser must accept exactly
//! what serde_json accepts and read the same values. Bounded in CI; for a long run:
//!
//! ```text
//! AGREEMENT_CASES=2000000 cargo test --release -p qdrant-component agreement -- --nocapture
//! ```
//!
//! A seeded generator (no nightly `cargo fuzz` here); `AGREEMENT_SEED` picks another seed.

use serde_json::{Map, Number, Value};

use crate::json_reader::{JsonReader, object_has_key};
use crate::{error, filter, float_text, model};

/// xorshift64*: small, seedable, good enough to spread cases.
struct Rng(u64);

impl Rng {
    fn new() -> Self {
        let seed = std::env::var("AGREEMENT_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0x9E37_79B9_7F4A_7C15);
        Rng(seed | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn cases(default: usize) -> usize {
    std::env::var("AGREEMENT_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

const STRINGS: &[&str] = &[
    "",
    "a",
    "key",
    "_string_id",
    "status",
    "error",
    "é",
    "日本",
    "😀",
    "\u{7f}",
    "\u{1f}",
    "quote\"",
    "back\\slash",
    "tab\t",
    "line\n",
    "\u{0}",
    "\u{2028}",
    "𝄞 clef",
];

/// Number texts as servers write them, including the edges of f64 and of the grammar.
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "42",
    "0.5",
    "-0.0",
    "1e10",
    "1E+2",
    "2.5e-3",
    "1.7976931348623157e308",
    "5e-324",
    "1e-400",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "123456789012345678901234567890",
    "0.1000000000000000055511151231257827",
    "3.4028235e38",
];

fn random_value(rng: &mut Rng, depth: u32) -> Value {
    let leaf = depth > 4 || rng.below(3) == 0;
    match rng.below(if leaf { 5 } else { 7 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.below(2) == 0),
        2 => {
            let text = *rng.pick(NUMBERS);
            serde_json::from_str(text).unwrap_or(Value::Null)
        }
        3 => {
            let x = f64::from_bits(rng.next());
            Number::from_f64(x).map_or(Value::Null, Value::Number)
        }
        4 => Value::String(random_string(rng)),
        5 => Value::Array(
            (0..rng.below(5))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        _ => {
            let mut map = Map::new();
            for _ in 0..rng.below(5) {
                map.insert(random_string(rng), random_value(rng, depth + 1));
            }
            Value::Object(map)
        }
    }
}

fn random_string(rng: &mut Rng) -> String {
    (0..rng.below(3)).map(|_| *rng.pick(STRINGS)).collect()
}

/// Bytes that matter to a JSON parser, for damage.
const SIGNIFICANT: &[u8] =
    b"{}[],:\"\\/-+.eE0123456789 \t\r\nntrufalsebx\x00\x1f\x7f\xc3\xa9\xed\xa0\x80\xff";

fn document(rng: &mut Rng) -> Vec<u8> {
    let mut text = match rng.below(20) {
        // Nesting at serde_json's limit of 128 and around it.
        0 => {
            let depth = 120 + rng.below(16);
            let (open, close) = if rng.below(2) == 0 {
                ("[", "]")
            } else {
                ("{\"a\":", "}")
            };
            format!("{}1{}", open.repeat(depth), close.repeat(depth)).into_bytes()
        }
        // Escapes, including surrogate pairs and lone halves.
        1 => {
            let escapes = [
                r"\u0041",
                r"\ud83d\ude00",
                r"\ud83d",
                r"\ude00",
                r"\n",
                r"\/",
                r"\x",
            ];
            let inner: String = (0..rng.below(4)).map(|_| *rng.pick(&escapes)).collect();
            format!("\"{inner}\"").into_bytes()
        }
        // A number's text as written, not as serde_json would write it.
        2 => rng.pick(NUMBERS).as_bytes().to_vec(),
        _ => serde_json::to_vec(&random_value(rng, 0)).unwrap_or_default(),
    };
    if rng.below(2) == 0 {
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(text.len() + 1);
            match rng.below(4) {
                0 => text.insert(at, *rng.pick(SIGNIFICANT)),
                1 if at < text.len() => {
                    text.remove(at);
                }
                2 if at < text.len() => text[at] = *rng.pick(SIGNIFICANT),
                _ => text.truncate(at),
            }
        }
    }
    if rng.below(4) == 0 {
        let pad = *rng.pick(&[" ", "\n\t", "\r\n "]);
        text.splice(0..0, pad.bytes());
        text.extend(pad.bytes());
    }
    text
}

/// The reader's verdict on one whole document, and the values it read: a string's text, a
/// number's value, an object's keys.
fn read_with_reader(bytes: &[u8], value: Option<&Value>) -> bool {
    let mut reader = JsonReader::new(bytes);
    if reader.skip().and_then(|_| reader.end()).is_err() {
        return false;
    }
    match value {
        Some(Value::String(s)) => {
            let mut reader = JsonReader::new(bytes);
            assert_eq!(
                reader.string().ok().as_deref(),
                Some(s.as_str()),
                "{bytes:?}"
            );
        }
        Some(Value::Number(n)) => {
            let mut reader = JsonReader::new(bytes);
            let text = reader.number().expect("a number serde_json read");
            assert_eq!(
                text.as_bytes(),
                bytes.trim_ascii(),
                "the whole number's text"
            );
            // The component reads the text with `str::parse` (correctly rounded); serde_json
            // without `float_roundtrip` is not correctly rounded and may be a few units in
            // the last place away (e.g. `-9.498432176245093e198`, 2 units).
            let ours: f64 = text.parse().expect("number text parses");
            let theirs = n.as_f64().expect("serde_json's number as f64");
            let apart = (ours.to_bits() as i64).abs_diff(theirs.to_bits() as i64);
            assert!(ours == theirs || apart <= 8, "{text}: {ours} vs {theirs}");
        }
        Some(Value::Object(map)) => {
            let mut keys = std::collections::BTreeSet::new();
            let mut reader = JsonReader::new(bytes);
            reader
                .object(|reader, key| {
                    keys.insert(String::from_utf8(key.to_vec()).expect("UTF-8 key"));
                    reader.skip_value()
                })
                .expect("an object serde_json read");
            assert_eq!(keys, map.keys().cloned().collect(), "{bytes:?}");
            for key in map.keys().take(2) {
                assert!(object_has_key(bytes, key, 0).expect("checked object"));
            }
        }
        _ => {}
    }
    true
}

#[test]
fn json_reader_accepts_what_serde_json_accepts_and_reads_the_same() {
    let mut rng = Rng::new();
    let total = cases(30_000);
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..total {
        let bytes = document(&mut rng);
        let serde = serde_json::from_slice::<Value>(&bytes);
        let ours = read_with_reader(&bytes, serde.as_ref().ok());
        assert_eq!(
            ours,
            serde.is_ok(),
            "disagreement on {:?}: serde_json says {:?}",
            String::from_utf8_lossy(&bytes),
            serde.err()
        );
        if ours { accepted += 1 } else { refused += 1 }
    }
    eprintln!("json_reader: {total} documents, {accepted} accepted, {refused} refused by both");
    assert!(
        accepted > total / 4 && refused > total / 10,
        "the generator lost its spread"
    );
}

#[test]
fn every_written_f32_reads_back_as_itself() {
    let mut rng = Rng::new();
    let total = cases(30_000) * 10;
    let mut floats: Vec<f32> = (0..total)
        .map(|_| f32::from_bits(rng.next() as u32))
        .filter(|x| x.is_finite())
        .collect();
    floats.extend([
        0.0,
        -0.0,
        f32::MIN_POSITIVE,
        f32::MAX,
        f32::MIN,
        1e-45,
        0.15,
        0.1,
        1.0 / 3.0,
    ]);
    let mut out = Vec::new();
    float_text::write_f32_array(&mut out, floats.iter().copied());
    let back: Vec<f32> = serde_json::from_slice(&out).expect("the array is JSON");
    let text = String::from_utf8(out).expect("ASCII");
    assert_eq!(back.len(), floats.len(), "one number per float");
    assert_eq!(text[1..text.len() - 1].split(',').count(), floats.len());
    let (mut longer, mut most) = (0usize, 0usize);
    for ((x, y), written) in floats
        .iter()
        .zip(&back)
        .zip(text[1..text.len() - 1].split(','))
    {
        assert_eq!(x.to_bits(), y.to_bits(), "{x} was written {written}");
        let exact: f32 = written.parse().expect("a decimal");
        assert_eq!(x.to_bits(), exact.to_bits(), "{x} was written {written}");
        // Not always the shortest text (see `float_text`): at most three digits more.
        let serde = serde_json::to_string(x).unwrap();
        let excess = written.len().saturating_sub(serde.len());
        assert!(excess <= 3, "{written} vs serde_json's {serde}");
        longer += usize::from(excess > 0);
        most = most.max(excess);
    }
    assert!(
        longer * 10_000 <= floats.len(),
        "{longer} of {} longer",
        floats.len()
    );
    eprintln!(
        "float_text: {} floats read back bit for bit; {longer} longer than serde_json's text, \
         by at most {most} characters",
        floats.len()
    );
}

#[test]
fn error_envelopes_of_any_shape_are_classified_without_panicking() {
    let mut rng = Rng::new();
    let total = cases(30_000);
    for _ in 0..total {
        let message = random_string(&mut rng);
        let mut body = serde_json::to_vec(&serde_json::json!({
            "status": {"error": message}, "time": 0.1
        }))
        .unwrap();
        let damaged = rng.below(2) == 0;
        if damaged {
            body = document(&mut rng);
        }
        let status = *rng.pick(&[400, 401, 403, 404, 409, 422, 429, 500, 502, 503]);
        let error = error::from_status(status, Some("7"), &body);
        if !damaged && status != 429 {
            let limit = message.chars().count() <= 1024;
            assert!(
                !limit || error.detail().contains(&message),
                "{error:?} lacks {message:?}"
            );
        }
    }
}

#[test]
fn the_filter_check_accepts_only_json_and_keeps_its_meaning() {
    let mut rng = Rng::new();
    let total = cases(30_000);
    // Point ids are integers here, so the filter sent is the filter given (string ids would
    // be mapped to UUIDs).
    let shapes = [
        r#"{"must":[{"key":"a","match":{"value":"x"}}]}"#,
        r#"{"should":[{"key":"n","range":{"gte":1,"lt":5}}],"min_should":{"conditions":[{"has_id":[1,7]}],"min_count":1}}"#,
        r#"{"must_not":[{"is_empty":{"key":"t"}},{"nested":{"key":"r","filter":{"must":[{"key":"s","match":{"any":[1,2]}}]}}}]}"#,
    ];
    for shape in shapes {
        let out = filter::to_json(&model::Filter::Json(shape.into())).expect("a valid filter");
        assert_eq!(out, serde_json::from_str::<Value>(shape).unwrap());
    }
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..total {
        let mut text = rng.pick(&shapes).as_bytes().to_vec();
        for _ in 0..rng.below(3) {
            let at = rng.below(text.len() + 1);
            text.insert(at, *rng.pick(SIGNIFICANT));
        }
        let text = String::from_utf8_lossy(&text).into_owned();
        let parsed = serde_json::from_str::<Value>(&text);
        match filter::to_json(&model::Filter::Json(text.clone())) {
            Ok(out) => {
                accepted += 1;
                // What is sent is what was given, untouched.
                assert_eq!(Some(&out), parsed.as_ref().ok(), "{text:?}");
            }
            Err(crate::Error::InvalidInput(_)) => refused += 1,
            Err(other) => panic!("{text:?}: {other:?}"),
        }
    }
    eprintln!("filter: {total} filters, {accepted} accepted, {refused} refused");
    assert!(accepted > 0 && refused > 0);
}
