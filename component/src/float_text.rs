//! `f32` values as JSON text: a decimal of at most nine significant digits that reads back
//! to the same float, nearly always the shortest one and laid out as serde_json writes an
//! `f32` (`0.25`, `-3.0`, `1e-7`, `1.5e+20`).
//!
//! Why not serde_json's own formatter: in wasm, formatting the floats of an upsert is most
//! of the component's work. serde_json's formatter (zmij) does 64×64→128-bit multiplies,
//! which become `__multi3` calls on wasm32, and variable-length copies, which become
//! `memory.copy` calls into the runtime, several per value.
//!
//! How: the value times a power of ten is computed once, in 64-bit fixed point, with nine
//! digits before the point ([`decimal`]); so are the bounds of its rounding interval, pulled
//! in by more than the error of the power of ten. Every integer between the bounds is a
//! decimal that reads back as the float. Of those, one with the most trailing zeros (the
//! fewest digits), closest to the value, is written. The bounds being pulled in is why the
//! text is not always serde_json's: in about 0.4 % of floats another candidate of the same
//! length is picked, and in about 0.007 % one to three more digits are written (e.g.
//! `-1.9826001e-22` for serde_json's `-1.9826e-22`; `agreement.rs` counts them). The
//! digits are made in a register (eight at a time) and stored with fixed-size writes.
//! The ignored test `every_float_reads_back` checks every `f32`; the regular tests check a
//! sample.

/// Writes `[v1,v2,..]`; every value must be finite.
pub fn write_f32_array(out: &mut Vec<u8>, values: impl ExactSizeIterator<Item = f32>) {
    out.push(b'[');
    let count = values.len();
    write_f32_array_body(out, values, count);
    out.push(b']');
}

/// The longest text of one value (`-0.00000123456789`, 17 bytes) and its separator.
pub const MAX_TEXT: usize = 18;
/// How far past its end a value's writing may reach (the 8-byte stores).
const OVERSHOOT: usize = 32;

/// Writes the values, comma-separated, into a zeroed stretch of `out` sized for the worst
/// case, then cuts `out` to what was written. Writing into a plain slice lets the cursor
/// live in a register; `Vec::push` per byte would reload the vector's fields after every
/// store.
fn write_f32_array_body(out: &mut Vec<u8>, values: impl Iterator<Item = f32>, count: usize) {
    let start = out.len();
    out.resize(start + count * MAX_TEXT + OVERSHOOT, 0);
    let text = &mut out[start..];
    let mut at = 0;
    for (i, value) in values.enumerate() {
        debug_assert!(value.is_finite(), "JSON has no text for {value}");
        if i > 0 {
            text[at] = b',';
            at += 1;
        }
        at = write_one(text, at, value);
    }
    out.truncate(start + at);
}

/// Writes one value at `text[at..]`; returns where it ends. It and the two steps it takes
/// are inlined into the loop: in wasm every call also pays the runtime's epoch check on
/// entry.
#[inline(always)]
fn write_one(text: &mut [u8], mut at: usize, value: f32) -> usize {
    let bits = value.to_bits();
    // The sign of embedding values is a coin toss: store the `-` always and advance past
    // it only when negative, rather than branch.
    text[at] = b'-';
    at += (bits >> 31) as usize;
    if bits << 1 == 0 {
        text[at..at + 3].copy_from_slice(b"0.0");
        return at + 3;
    }
    layout(&mut text[at..], decimal(bits & 0x7FFF_FFFF)) + at
}

/// A positive decimal: `digits` (nine of them, the last `9 - count` zeros) times
/// `10^(exponent - 8)`, so `exponent` is that of its first digit.
#[derive(Debug, PartialEq)]
struct Decimal {
    digits: u32,
    count: u32,
    exponent: i32,
}

/// Writes the decimal in serde_json's `f32` layout: plain for exponents -6..=12, else
/// `d.ddde±x`. Pieces are stored eight bytes at a time, later ones over the tails of
/// earlier ones (the digits after `count` are ASCII zeros). Returns the length.
#[inline(always)]
fn layout(text: &mut [u8], decimal: Decimal) -> usize {
    let Decimal {
        digits,
        exponent: scientific,
        ..
    } = decimal;
    let count = decimal.count as usize;
    let top = div1e8(digits);
    let first = b'0' + top as u8;
    let rest = eight_digits(digits - top * 100_000_000);
    let put8 = |text: &mut [u8], at: usize, bytes: u64| {
        text[at..at + 8].copy_from_slice(&bytes.to_le_bytes());
    };
    const ZEROS: u64 = u64::from_le_bytes(*b"00000000");
    if (-6..=12).contains(&scientific) {
        if scientific >= count as i32 - 1 {
            // 1234e7 -> 12340000000.0
            let point = scientific as usize + 1;
            text[0] = first;
            put8(text, 1, rest);
            put8(text, 9, ZEROS);
            text[point..point + 2].copy_from_slice(b".0");
            point + 2
        } else if scientific >= 0 {
            // 1234e-2 -> 12.34: `scientific` of the rest's digits go before the point.
            let before = scientific as u32 * 8;
            let low = rest & ((1u64 << before) - 1);
            text[0] = first;
            put8(text, 1, low | u64::from(b'.') << before);
            put8(text, scientific as usize + 2, rest >> before);
            count + 1
        } else {
            // 1234e-6 -> 0.001234
            let at = (1 - scientific) as usize;
            put8(text, 0, u64::from_le_bytes(*b"0.000000"));
            text[at] = first;
            put8(text, at + 1, rest);
            at + count
        }
    } else {
        // 1234e30 -> 1.234e+33
        text[0] = first;
        let mut at = 1;
        if count > 1 {
            text[1] = b'.';
            put8(text, 2, rest);
            at = count + 1;
        }
        text[at] = b'e';
        text[at + 1] = if scientific < 0 { b'-' } else { b'+' };
        let magnitude = scientific.unsigned_abs();
        if magnitude >= 10 {
            let tens = div10(magnitude);
            text[at + 2] = b'0' + tens as u8;
            text[at + 3] = b'0' + (magnitude - tens * 10) as u8;
            at + 4
        } else {
            text[at + 2] = b'0' + magnitude as u8;
            at + 3
        }
    }
}

/// `n` (< 10^8) as eight ASCII digits, the first in the lowest byte: split in lanes, four
/// digits per 32-bit lane, then two per 16-bit lane, then one per byte.
fn eight_digits(n: u32) -> u64 {
    let high = div1e4(n);
    let x = u64::from(high) | u64::from(n - high * 10_000) << 32;
    // Per 32-bit lane: / 100 as × 10486 >> 20 (exact below 43 690).
    let hundreds = ((x * 10_486) >> 20) & 0x0000_007F_0000_007F;
    let x = hundreds | (x - hundreds * 100) << 16;
    // Per 16-bit lane: / 10 as × 103 >> 10 (exact below 170).
    let tens = ((x * 103) >> 10) & 0x000F_000F_000F_000F;
    let x = tens | (x - tens * 10) << 8;
    x | u64::from_le_bytes(*b"00000000")
}

const POWERS_OF_TEN: [u32; 10] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
];

// Division by constants as multiply and shift, exact for every `u32` (the test
// `divisions_are_exact` checks them). LLVM leaves `i32.div_u` in wasm, and the runtime
// compiles it to a hardware divide.

fn div10(n: u32) -> u32 {
    ((u64::from(n) * 0xCCCC_CCCD) >> 35) as u32
}

fn div100(n: u32) -> u32 {
    ((u64::from(n) * 0x51EB_851F) >> 37) as u32
}

fn div1000(n: u32) -> u32 {
    ((u64::from(n) * 0x1062_4DD3) >> 38) as u32
}

fn div1e4(n: u32) -> u32 {
    ((u64::from(n) * 0xD1B7_1759) >> 45) as u32
}

fn div1e8(n: u32) -> u32 {
    ((u64::from(n) * 1_441_151_881) >> 57) as u32
}

/// The decimal written for the positive finite non-zero `f32` with these bits.
#[inline(always)]
fn decimal(bits: u32) -> Decimal {
    let fraction = bits & 0x7F_FFFF;
    let biased = bits >> 23;
    // value = m · 2^e with 2^23 <= m < 2^24; a subnormal is shifted up by `lz`, so its
    // spacing (2^-149) is 2^lz units of m.
    let (m, e, lz) = if biased == 0 {
        let lz = fraction.leading_zeros() - 8;
        (fraction << lz, -149 - lz as i32, lz)
    } else {
        (1 << 23 | fraction, biased as i32 - 150, 0)
    };
    // 10^exponent <= value < 10^(exponent + 1): the binade starts in decade `⌊log10 2^(e+23)⌋`
    // and may reach into the next.
    let mut exponent = floor_log10_pow2(e + 23);
    let mut scaled = Scaled::new(m, e, 8 - exponent);
    if scaled.whole() >= 1_000_000_000 {
        exponent += 1;
        scaled = Scaled::new(m, e, 8 - exponent);
    }
    // Half the spacing of floats around the value, a quarter below a power of two, in
    // the same fixed point; pulled in by more than the error of `x` (< 2m) and of the
    // half spacing (< 2^lz <= m), so every integer from `lo` to `hi` lies strictly inside
    // the rounding interval.
    let half = (scaled.power << lz) >> 1;
    let half_below = if fraction == 0 && biased > 1 {
        half >> 1
    } else {
        half
    };
    let guard = 3 * u64::from(m);
    let one = 1u64 << scaled.shift;
    let lo = ((scaled.x - half_below + guard + one - 1) >> scaled.shift) as u32;
    let hi = ((scaled.x + half - guard) >> scaled.shift) as u32;
    let whole = scaled.whole();
    // `below` < every candidate <= `hi`; a candidate with j trailing zeros exists when
    // `hi / 10^j > below / 10^j`. Nearly every float has one with 0, 1 or 2: pick among
    // those without branches the CPU could mispredict.
    let below = lo - 1;
    if div1000(hi) > div1000(below) {
        return fewer_digits(whole, below, hi, exponent);
    }
    let (hi10, below10) = (div10(hi), div10(below));
    let (hi100, below100) = (div100(hi), div100(below));
    let zeros = usize::from(hi10 > below10) + usize::from(hi100 > below100);
    let rounded_up = ((scaled.x >> (scaled.shift - 1)) & 1) as u32;
    let nearest = [whole + rounded_up, div10(whole + 5), div100(whole + 50)][zeros];
    let candidate = nearest.clamp(
        [lo, below10 + 1, below100 + 1][zeros],
        [hi, hi10, hi100][zeros],
    );
    Decimal {
        digits: candidate * POWERS_OF_TEN[zeros],
        count: 9 - zeros as u32,
        exponent,
    }
}

/// [`decimal`] for the few floats whose interval holds a multiple of 1000 (`0.3`, `1e-7`,
/// most subnormals).
#[inline(never)]
fn fewer_digits(whole: u32, mut below: u32, mut hi: u32, mut exponent: i32) -> Decimal {
    let mut zeros = 0;
    while div10(hi) > div10(below) {
        (hi, below) = (div10(hi), div10(below));
        zeros += 1;
    }
    let power = POWERS_OF_TEN[zeros];
    let candidate = ((whole + power / 2) / power).clamp(below + 1, hi);
    let mut digits = candidate * power;
    if digits >= 1_000_000_000 {
        // 10^(exponent + 1) itself.
        digits = 100_000_000;
        exponent += 1;
    }
    Decimal {
        digits,
        count: (9 - zeros as u32).max(1),
        exponent,
    }
}

/// `m · 2^e · 10^p` in fixed point: `x / 2^shift`, with `x < 2^63`.
struct Scaled {
    x: u64,
    shift: u32,
    /// `10^p · 2^(e + shift)`, rounded up: one unit of `m` in the fixed point.
    power: u64,
}

impl Scaled {
    fn new(m: u32, e: i32, p: i32) -> Self {
        let power = POW10[(p - P_MIN) as usize];
        let shift = (38 - floor_log2_pow10(p) - e) as u32;
        Self {
            x: u64::from(m) * power,
            shift,
            power,
        }
    }

    fn whole(&self) -> u32 {
        (self.x >> self.shift) as u32
    }
}

/// `⌊e · log10(2)⌋`.
fn floor_log10_pow2(e: i32) -> i32 {
    ((i64::from(e) * 661_971_961_083) >> 41) as i32
}

/// `⌊e · log2(10)⌋`.
fn floor_log2_pow10(e: i32) -> i32 {
    ((i64::from(e) * 913_124_641_741) >> 38) as i32
}

/// The powers of ten [`decimal`] scales by: 10^-31 for `f32::MAX` up to 10^53 for the
/// smallest subnormal.
const P_MIN: i32 = -31;
const P_MAX: i32 = 53;

/// For p in P_MIN..=P_MAX: 10^p rounded up to 39 significant bits (so `m · entry < 2^63`),
/// computed with a 64-bit mantissa rounded up at each step, which leaves it at most one
/// above the exact value rounded up (the test `powers_match_their_definition` checks).
const POW10: [u64; (P_MAX - P_MIN + 1) as usize] = {
    const fn up_to_bits(wide: u128, bits: u32) -> u64 {
        let drop = 128 - wide.leading_zeros() - bits;
        let kept = (wide >> drop) as u64;
        if (kept as u128) << drop == wide {
            kept
        } else {
            kept + 1
        }
    }
    let mut table = [0u64; (P_MAX - P_MIN + 1) as usize];
    let mut mantissa: u64 = 1 << 63;
    let mut p = 0;
    while p <= P_MAX {
        table[(p - P_MIN) as usize] = up_to_bits(mantissa as u128, 39);
        mantissa = up_to_bits(mantissa as u128 * 10, 64);
        p += 1;
    }
    let mut mantissa: u64 = 1 << 63;
    let mut p = 0;
    while p > P_MIN {
        mantissa = up_to_bits(((mantissa as u128) << 64).div_ceil(10), 64);
        p -= 1;
        table[(p - P_MIN) as usize] = up_to_bits(mantissa as u128, 39);
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: f32) -> String {
        let mut out = Vec::new();
        write_f32_array_body(&mut out, [value].into_iter(), 1);
        String::from_utf8(out).unwrap()
    }

    fn serde_text(value: f32) -> String {
        serde_json::to_string(&value).unwrap()
    }

    /// Every finite float whose bits are in `bits` (stepping by `step`), in both signs,
    /// reads back from its text. Returns (floats, texts unlike serde_json's shortest text,
    /// texts longer than it).
    fn assert_reads_back(bits: std::ops::Range<u32>, step: usize) -> (u64, u64, u64) {
        let (mut floats, mut unlike, mut longer) = (0, 0, 0);
        for bits in bits.step_by(step) {
            let value = f32::from_bits(bits);
            if !value.is_finite() {
                break;
            }
            for value in [value, -value] {
                let (text, shortest) = (text(value), serde_text(value));
                let read: f32 = text.parse().unwrap();
                let read_json: f32 = serde_json::from_str(&text).unwrap();
                assert!(
                    read.to_bits() == value.to_bits() && read_json.to_bits() == value.to_bits(),
                    "{text} reads back as {read:e} / {read_json:e}, not {value:e}"
                );
                floats += 1;
                unlike += u64::from(text != shortest);
                longer += u64::from(text.len() > shortest.len());
            }
        }
        (floats, unlike, longer)
    }

    #[test]
    fn layout_follows_serde_json() {
        for value in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            0.25,
            0.3,
            10.0,
            100.0,
            1e7,
            1.5e12,
            1e13,
            1.2345e13,
            1e-6,
            1.5e-6,
            1e-7,
            2.5e-7,
            123_456.79,
            16_777_216.0,
            3.402_823_5e38,
            f32::MIN_POSITIVE,
            1e-45,
            7e-45,
            2.0 / 3.0,
            -0.038_291_74,
        ] {
            assert_eq!(text(value), serde_text(value), "{value:e}");
        }
    }

    #[test]
    fn sampled_floats_read_back() {
        // Subnormals, the smallest normals and every power of two, then a stride coprime
        // to 2 so that all low-bit patterns come up.
        let mut seen = assert_reads_back(0..1 << 20, 1);
        for biased in 0..255u32 {
            let (floats, unlike, longer) = assert_reads_back(biased << 23..(biased << 23) + 2, 1);
            seen = (seen.0 + floats, seen.1 + unlike, seen.2 + longer);
        }
        let (floats, unlike, longer) = assert_reads_back(1 << 23..0x7F80_0000, 251);
        assert!(
            unlike * 100 < floats,
            "{unlike} of {floats} unlike serde_json"
        );
        assert!(
            longer * 1000 < floats,
            "{longer} of {floats} longer than serde_json"
        );
        assert!(seen.2 * 10 < seen.0, "{seen:?}");
    }

    #[test]
    #[ignore = "all 4 billion floats, a few minutes: cargo test --release -p qdrant-component -- --ignored"]
    fn every_float_reads_back() {
        let threads = 8usize;
        std::thread::scope(|scope| {
            for t in 0..threads as u32 {
                scope.spawn(move || {
                    let (floats, unlike, longer) = assert_reads_back(t..0x7F80_0000, threads);
                    println!("{floats} floats: {unlike} unlike serde_json, {longer} longer");
                });
            }
        });
    }

    #[test]
    fn candidates_have_no_more_digits_than_needed() {
        // As few digits as the interval allows: `0.6666667`, `0.99999994`, `1e10`.
        let decimal_of = |value: f32| decimal(value.to_bits());
        assert_eq!(decimal_of(0.1).count, 1);
        assert_eq!(decimal_of(0.3).count, 1);
        assert_eq!(decimal_of(2.0 / 3.0).count, 7);
        assert_eq!(decimal_of(1e-45).count, 1);
        let decimal = |digits, count, exponent| Decimal {
            digits,
            count,
            exponent,
        };
        assert_eq!(
            decimal_of(f32::from_bits(0x3F7F_FFFF)),
            decimal(999_999_940, 8, -1)
        );
        assert_eq!(decimal_of(1e10), decimal(100_000_000, 1, 10));
    }

    #[test]
    fn divisions_are_exact() {
        let check = |n: u32| {
            assert_eq!(div10(n), n / 10, "{n}");
            assert_eq!(div100(n), n / 100, "{n}");
            assert_eq!(div1000(n), n / 1000, "{n}");
            assert_eq!(div1e4(n), n / 10_000, "{n}");
            assert_eq!(div1e8(n), n / 100_000_000, "{n}");
        };
        (0..1 << 20)
            .chain((u32::MAX - (1 << 20))..=u32::MAX)
            .for_each(check);
        (0..=u32::MAX).step_by(997).for_each(check);
        POWERS_OF_TEN
            .iter()
            .flat_map(|&p| [p - 1, p, p + 1])
            .for_each(check);
    }

    /// A big number as little-endian 32-bit limbs.
    struct Big(Vec<u32>);

    impl Big {
        fn mul_small(&mut self, m: u32) {
            let mut carry = 0u64;
            for limb in &mut self.0 {
                let v = u64::from(*limb) * u64::from(m) + carry;
                *limb = v as u32;
                carry = v >> 32;
            }
            if carry > 0 {
                self.0.push(carry as u32);
            }
        }

        fn bits(&self) -> u32 {
            let top = self.0.iter().rposition(|&l| l != 0).unwrap();
            top as u32 * 32 + 32 - self.0[top].leading_zeros()
        }

        /// `⌈self / 2^drop⌉`, when that fits in 64 bits.
        fn shr_up(&self, drop: u32) -> u64 {
            let (mut kept, mut lost) = (0u64, false);
            for bit in 0..self.bits() {
                let set = self.0[bit as usize / 32] >> (bit % 32) & 1 == 1;
                if bit < drop {
                    lost |= set;
                } else if set {
                    kept |= 1 << (bit - drop);
                }
            }
            kept + u64::from(lost)
        }

        /// `⌈self / d⌉`.
        fn div_up(&self, d: &Big) -> u64 {
            // Long division, bit by bit: fine for the few dozen entries.
            let (mut quotient, mut rest) = (0u64, Big(vec![0]));
            for bit in (0..self.bits()).rev() {
                rest.mul_small(2);
                rest.0[0] |= self.0[bit as usize / 32] >> (bit % 32) & 1;
                quotient <<= 1;
                if !rest.less_than(d) {
                    rest.sub(d);
                    quotient |= 1;
                }
            }
            quotient + u64::from(rest.0.iter().any(|&l| l != 0))
        }

        fn less_than(&self, other: &Big) -> bool {
            let limb = |n: &Big, i: usize| n.0.get(i).copied().unwrap_or(0);
            let len = self.0.len().max(other.0.len());
            (0..len)
                .rev()
                .map(|i| (limb(self, i), limb(other, i)))
                .find(|(a, b)| a != b)
                .is_some_and(|(a, b)| a < b)
        }

        fn sub(&mut self, other: &Big) {
            let mut borrow = 0i64;
            for i in 0..self.0.len() {
                let v =
                    i64::from(self.0[i]) - i64::from(other.0.get(i).copied().unwrap_or(0)) - borrow;
                self.0[i] = v.rem_euclid(1 << 32) as u32;
                borrow = i64::from(v < 0);
            }
        }
    }

    #[test]
    fn powers_match_their_definition() {
        for p in P_MIN..=P_MAX {
            // 10^p = (10^p / 2^b) · 2^b with 2^38 <= 10^p / 2^b < 2^39.
            let b = floor_log2_pow10(p) - 38;
            let mut ten_to = Big(vec![1]);
            for _ in 0..p.unsigned_abs() {
                ten_to.mul_small(10);
            }
            let exact_up = if p >= 0 {
                if b >= 0 {
                    ten_to.shr_up(b as u32)
                } else {
                    ten_to.shr_up(0) << -b
                }
            } else {
                let mut two_to = Big(vec![1]);
                for _ in 0..-b {
                    two_to.mul_small(2);
                }
                two_to.div_up(&ten_to)
            };
            assert!((1 << 38..1 << 39).contains(&exact_up), "p = {p}");
            let entry = POW10[(p - P_MIN) as usize];
            assert!(
                (exact_up..=exact_up + 1).contains(&entry),
                "p = {p}: {entry} for {exact_up}"
            );
        }
    }
}
