//! `f32` values as JSON text: the shortest decimal that reads back to the same float, laid
//! out exactly as serde_json writes an `f32` (so a request's bytes are those a native client
//! sends).
//!
//! Why not serde_json's own formatter: in wasm, formatting the floats of an upsert is most
//! of the component's work. serde_json's formatter (zmij) does 64×64→128-bit multiplies,
//! which become `__multi3` calls on wasm32, and variable-length copies, which become
//! `memory.copy` calls into the runtime, several per value. This one is the Schubfach
//! algorithm (R. Giulietti, "The Schubfach way to render doubles", 2020) for binary32 with
//! 64-bit multiplies only. Its digits are made in a register (eight at a time) and stored
//! with fixed-size writes, never stored piecewise and read back. The output equals
//! serde_json's for every `f32` (the ignored test `every_float_matches_serde_json` checks
//! all of them; the regular tests check a sample).

/// Writes `[v1,v2,..]` as serde_json writes `f32`s (`0.25`, `-3.0`, `1e-7`, `1.5e+20`);
/// every value must be finite.
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

/// Writes one value at `text[at..]`; returns where it ends.
fn write_one(text: &mut [u8], mut at: usize, value: f32) -> usize {
    let bits = value.to_bits();
    if bits >> 31 != 0 {
        text[at] = b'-';
        at += 1;
    }
    if bits << 1 == 0 {
        text[at..at + 3].copy_from_slice(b"0.0");
        return at + 3;
    }
    let (digits, exponent) = shortest(bits & 0x7FFF_FFFF);
    layout(&mut text[at..], digits, exponent) + at
}

/// Writes `digits · 10^exponent` (digits > 0) in serde_json's `f32` layout: plain decimal
/// for scientific exponents -6..=12, else `d.ddde±x`. Pieces are stored eight bytes at a
/// time, later ones over the tails of earlier ones. Returns the length.
fn layout(text: &mut [u8], mut digits: u32, mut exponent: i32) -> usize {
    loop {
        let tenth = div10(digits);
        if tenth * 10 != digits {
            break;
        }
        digits = tenth;
        exponent += 1;
    }
    let count = digit_count(digits);
    let (first, rest) = split_digits(digits, count);
    let scientific = exponent + count as i32 - 1;
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
            put8(text, count, ZEROS);
            put8(text, count + 8, ZEROS);
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
            let at = 1 - scientific as usize;
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

/// The first of the `count` digits of `digits` as ASCII, and the others as ASCII bytes of a
/// little-endian `u64` (text order, zero bytes after the last).
fn split_digits(digits: u32, count: usize) -> (u8, u64) {
    let top = div1e8(digits);
    let low8 = eight_digits(digits - top * 100_000_000);
    if count == 9 {
        (b'0' + top as u8, low8)
    } else {
        // Drop the leading zeros of the eight.
        let all = low8 >> ((8 - count) * 8);
        (all as u8, all >> 8)
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

/// Decimal digits of `digits` (1 ..< 10^9).
fn digit_count(digits: u32) -> usize {
    // ⌊bits · log10(2)⌋ is the count or one short of it.
    let estimate = (((32 - digits.leading_zeros()) * 1233) >> 12) as usize;
    estimate + usize::from(digits >= POWERS_OF_TEN[estimate])
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

// Division by constants as multiply and shift, exact over the ranges noted (the test
// `divisions_are_exact` checks them). LLVM leaves `i32.div_u` in wasm, and the runtime
// compiles it to a hardware divide.

/// `n / 10`, any `n`.
fn div10(n: u32) -> u32 {
    ((u64::from(n) * 0xCCCC_CCCD) >> 35) as u32
}

/// `n / 10^4`, any `n`.
fn div1e4(n: u32) -> u32 {
    ((u64::from(n) * 0xD1B7_1759) >> 45) as u32
}

/// `n / 10^8`, any `n`.
fn div1e8(n: u32) -> u32 {
    ((u64::from(n) * 1_441_151_881) >> 57) as u32
}

// Schubfach for binary32. `c · 2^q` is the value, `k` the decimal exponent of the scaling.
const Q_MIN: i32 = -149;
const C_MIN: u32 = 1 << 23;
const K_MIN: i32 = -45;

/// The shortest decimal `(digits, exponent)` in the rounding interval of the positive
/// finite non-zero `f32` with these bits, closest to it, ties to an even last digit.
fn shortest(bits: u32) -> (u32, i32) {
    let fraction = bits & (C_MIN - 1);
    let biased = bits >> 23;
    if biased == 0 {
        return schubfach(Q_MIN, fraction);
    }
    let shift = 150 - biased as i32;
    let c = C_MIN | fraction;
    // Integers below 2^24 are their own shortest decimal.
    if 0 < shift && shift < 24 {
        let integer = c >> shift;
        if integer << shift == c {
            return (integer, 0);
        }
    }
    schubfach(-shift, c)
}

fn schubfach(q: i32, c: u32) -> (u32, i32) {
    let out = c & 1;
    let cb = u64::from(c) << 2;
    let cbr = cb + 2;
    // At a power of two the interval below is half as wide.
    let (cbl, k) = if c != C_MIN || q == Q_MIN {
        (cb - 2, floor_log10_pow2(q))
    } else {
        (cb - 1, floor_log10_three_quarters_pow2(q))
    };
    if q < 0 && -k < POW5.len() as i32 {
        // The value scaled by 10^-k is `cb · 5^-k / 2^(k-q)`: exact in 64 bits, with k - q
        // bits of fraction. This covers magnitudes from about 1e-8 up to 2^23, where
        // embeddings live, with one multiply per bound instead of two and no table of
        // powers of ten.
        let five = POW5[-k as usize];
        let scaled = Scaled {
            vb: cb * five,
            vbl: cbl * five,
            vbr: cbr * five,
            fraction_bits: (k - q) as u32,
        };
        return (scaled.pick(out), k);
    }
    let h = q + floor_log2_pow10(-k) + 33;
    let g = G[(k - K_MIN) as usize] + 1;
    let scaled = Scaled {
        vb: round_to_odd(g, cb, h).into(),
        vbl: round_to_odd(g, cbl, h).into(),
        vbr: round_to_odd(g, cbr, h).into(),
        fraction_bits: 0,
    };
    (scaled.pick(out), k)
}

/// `5^i`, each below 2^35, so that `cbr · 5^i` (`cbr < 2^26`) and the bounds compared with
/// it stay below 2^64.
const POW5: [u64; 16] = {
    let mut powers = [1u64; 16];
    let mut i = 1;
    while i < powers.len() {
        powers[i] = powers[i - 1] * 5;
        i += 1;
    }
    powers
};

/// The value (`vb`) and its rounding interval (`vbl`..`vbr`) times 4 · 10^-k, in fixed point
/// with `fraction_bits` bits below the point: either exact, or rounded to odd with none
/// (Schubfach's trick, which keeps every comparison with the integers below exact).
struct Scaled {
    vb: u64,
    vbl: u64,
    vbr: u64,
    fraction_bits: u32,
}

impl Scaled {
    /// `4x` in the same fixed point.
    fn times4(&self, x: u32) -> u64 {
        (u64::from(x) << 2) << self.fraction_bits
    }

    /// The shortest digits inside the interval (its bounds included when `out` is 0),
    /// closest to the value, ties to even.
    fn pick(&self, out: u32) -> u32 {
        let out = u64::from(out);
        let s = (self.vb >> (self.fraction_bits + 2)) as u32;
        // Java's variant stops at two digits (`s >= 100`, and `C_TINY` scaling of the
        // tiniest subnormals); serde_json's shortest may have one, as in `1e-45`.
        if s >= 10 {
            // One digit shorter, if either neighbour of that length is inside the interval.
            let sp10 = 10 * ((u64::from(s) * 1_717_986_919) >> 34) as u32;
            let tp10 = sp10 + 10;
            let upin = self.vbl + out <= self.times4(sp10);
            let wpin = self.times4(tp10) + out <= self.vbr;
            if upin != wpin {
                return if upin { sp10 } else { tp10 };
            }
        }
        let t = s + 1;
        let uin = self.vbl + out <= self.times4(s);
        let win = self.times4(t) + out <= self.vbr;
        if uin != win {
            return if uin { s } else { t };
        }
        // Both in: the closer one to the value, `4s + 2` being the midpoint.
        let midpoint = (u64::from(s) << 2 | 2) << self.fraction_bits;
        if self.vb < midpoint || (self.vb == midpoint && s & 1 == 0) {
            s
        } else {
            t
        }
    }
}

/// With `x = ⌊g · cb · 2^h / 2^64⌋`: `⌊x / 2^31⌋`, its lowest bit set if `x` had bits
/// below that (round to odd). `h` is 33..=36 and `cb < 2^26` for every `f32`, so the
/// product needs only two 64-bit multiplies. (A general 64×64-bit multiply-high is what
/// LLVM turns into a `__multi3` call on wasm32, however it is written.)
fn round_to_odd(g: u64, cb: u64, h: i32) -> u32 {
    const LOW: u64 = 0xFFFF_FFFF;
    debug_assert!(cb < 1 << 26 && (33..=36).contains(&h));
    let low = (g & LOW) * cb;
    // g·cb = top·2^32 + (low mod 2^32); shifting by h - 64 (from -31 to -28) drops the
    // bits of `low` below 2^(64-h) and keeps `top` whole.
    let top = (g >> 32) * cb + (low >> 32);
    let x = (top << (h - 32)) + ((low & LOW) >> (64 - h));
    ((x >> 31) | u64::from(x & LOW != 0)) as u32
}

/// `⌊e · log10(2)⌋`.
fn floor_log10_pow2(e: i32) -> i32 {
    ((i64::from(e) * 661_971_961_083) >> 41) as i32
}

/// `⌊log10(3/4 · 2^e)⌋`.
fn floor_log10_three_quarters_pow2(e: i32) -> i32 {
    ((i64::from(e) * 661_971_961_083 - 274_743_187_321) >> 41) as i32
}

/// `⌊e · log2(10)⌋`.
fn floor_log2_pow10(e: i32) -> i32 {
    ((i64::from(e) * 913_124_641_741) >> 38) as i32
}

/// For k in -45..=31: write 10^-k = β·2^r with 2^125 <= β < 2^126; the entry is the top 63
/// bits of ⌊β⌋ + 1. (The test `table_matches_its_definition` recomputes it.)
#[rustfmt::skip]
const G: [u64; 77] = [
    0x59AEDFC10D7279C5, 0x47BF19673DF52E37, 0x72CB5BD86321E38C,
    0x5BD5E313828182D6, 0x4977E8DC68679BDF, 0x758CA7C70D7292FE,
    0x5E0A1FD271287598, 0x4B3B4CA85A86C47A, 0x785EE10D5DA46D90,
    0x604BE73DE4838AD9, 0x4D0985CB1D3608AE, 0x7B426FAB61F00DE3,
    0x629B8C891B267182, 0x4EE2D6D415B85ACE, 0x7E37BE2022C0914B,
    0x64F964E68233A76F, 0x50C783EB9B5C85F2, 0x409F9CBC7C4A04C2,
    0x6765C793FA10079D, 0x52B7D2DCC80CD2E4, 0x422CA8B0A00A4250,
    0x69E10DE76676D080, 0x54B40B1F852BDA00, 0x43C33C1937564800,
    0x6C6B935B8BBD4000, 0x56BC75E2D6310000, 0x4563918244F40000,
    0x6F05B59D3B200000, 0x58D15E1762800000, 0x470DE4DF82000000,
    0x71AFD498D0000000, 0x5AF3107A40000000, 0x48C2739500000000,
    0x746A528800000000, 0x5D21DBA000000000, 0x4A817C8000000000,
    0x7735940000000000, 0x5F5E100000000000, 0x4C4B400000000000,
    0x7A12000000000000, 0x61A8000000000000, 0x4E20000000000000,
    0x7D00000000000000, 0x6400000000000000, 0x5000000000000000,
    0x4000000000000000, 0x6666666666666666, 0x51EB851EB851EB85,
    0x4189374BC6A7EF9D, 0x68DB8BAC710CB295, 0x53E2D6238DA3C211,
    0x431BDE82D7B634DA, 0x6B5FCA6AF2BD215E, 0x55E63B88C230E77E,
    0x44B82FA09B5A52CB, 0x6DF37F675EF6EADF, 0x57F5FF85E592557F,
    0x465E6604B7A84465, 0x709709A125DA0709, 0x5A126E1A84AE6C07,
    0x480EBE7B9D58566C, 0x734ACA5F6226F0AD, 0x5C3BD5191B525A24,
    0x49C97747490EAE83, 0x760F253EDB4AB0D2, 0x5E72843249088D75,
    0x4B8ED0283A6D3DF7, 0x78E480405D7B9658, 0x60B6CD004AC94513,
    0x4D5F0A66A23A9DA9, 0x7BCB43D769F762A8, 0x63090312BB2C4EED,
    0x4F3A68DBC8F03F24, 0x7EC3DAF941806506, 0x65697BFA9ACD1D9F,
    0x51212FFBAF0A7E18, 0x40E7599625A1FE7A,
];

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

    /// Every finite float whose bits are in `bits` (stepping by `step`), in both signs.
    fn assert_matches_serde_json(bits: std::ops::Range<u32>, step: usize) {
        for bits in bits.step_by(step) {
            let value = f32::from_bits(bits);
            if !value.is_finite() {
                break;
            }
            for value in [value, -value] {
                assert_eq!(
                    text(value),
                    serde_text(value),
                    "bits {:#010x}",
                    value.to_bits()
                );
            }
        }
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
            1.4e-45,
            7e-45,
            0.3,
            2.0 / 3.0,
        ] {
            assert_eq!(text(value), serde_text(value), "{value:e}");
        }
    }

    #[test]
    fn sampled_patterns_match_serde_json() {
        // Every subnormal and the smallest normals, every power of two, then a stride
        // coprime to 2 so that all low-bit patterns come up.
        assert_matches_serde_json(0..C_MIN * 2, 1);
        for biased in 0..255u32 {
            assert_matches_serde_json(biased << 23..(biased << 23) + 1, 1);
        }
        assert_matches_serde_json(0..0x7F80_0000, 251);
    }

    #[test]
    #[ignore = "all 4 billion floats, a few minutes: cargo test --release -p qdrant-component -- --ignored"]
    fn every_float_matches_serde_json() {
        let threads = 8;
        std::thread::scope(|scope| {
            for t in 0..threads {
                scope.spawn(move || assert_matches_serde_json(t..0x7F80_0000, threads as usize));
            }
        });
    }

    #[test]
    fn round_to_odd_is_the_wide_product() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for i in 0..400_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (g, cb, h) = (G[i % G.len()] + 1, x >> 38, 33 + (i % 4) as i32);
            let wide = (u128::from(g) * u128::from(cb << h)) >> 64;
            let expected = ((wide >> 31) as u64 | u64::from(wide as u32 != 0)) as u32;
            assert_eq!(round_to_odd(g, cb, h), expected, "g {g:#x} cb {cb} h {h}");
        }
    }

    #[test]
    fn divisions_are_exact() {
        let check = |n: u32| {
            assert_eq!(div10(n), n / 10, "{n}");
            assert_eq!(div1e4(n), n / 10_000, "{n}");
            assert_eq!(div1e8(n), n / 100_000_000, "{n}");
        };
        (0..1 << 20)
            .chain((u32::MAX - (1 << 20))..=u32::MAX)
            .for_each(check);
        (0..=u32::MAX).step_by(997).for_each(check);
        let edges = POWERS_OF_TEN.iter().flat_map(|&p| [p - 1, p, p + 1]);
        (1..1_000_000_000u32)
            .step_by(997)
            .chain(edges.filter(|&n| n > 0))
            .for_each(|n| assert_eq!(digit_count(n), n.to_string().len(), "{n}"));
    }

    /// Big numbers as little-endian 32-bit limbs, just enough to recompute [`G`].
    fn big_mul_small(n: &mut Vec<u32>, m: u32) {
        let mut carry = 0u64;
        for limb in n.iter_mut() {
            let v = u64::from(*limb) * u64::from(m) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            n.push(carry as u32);
        }
    }

    fn big_div_small(n: &mut Vec<u32>, d: u32) {
        let mut rest = 0u64;
        for limb in n.iter_mut().rev() {
            let v = (rest << 32) | u64::from(*limb);
            *limb = (v / u64::from(d)) as u32;
            rest = v % u64::from(d);
        }
        while n.last() == Some(&0) {
            n.pop();
        }
    }

    fn big_shift(n: &mut Vec<u32>, bits: i32) {
        for _ in 0..bits.unsigned_abs() {
            if bits > 0 {
                big_mul_small(n, 2);
            } else {
                big_div_small(n, 2);
            }
        }
    }

    fn big_bits(n: &[u32]) -> u32 {
        n.len() as u32 * 32 - n.last().map_or(32, |l| l.leading_zeros())
    }

    #[test]
    fn table_matches_its_definition() {
        for (i, &entry) in G.iter().enumerate() {
            let k = K_MIN + i as i32;
            // β = ⌊10^-k · 2^-r⌋ with r chosen so that β has 126 bits.
            let mut beta = vec![1u32];
            let r = floor_log2_pow10(-k) - 125;
            if k <= 0 {
                for _ in 0..-k {
                    big_mul_small(&mut beta, 10);
                }
                big_shift(&mut beta, -r);
            } else {
                big_shift(&mut beta, -r);
                for _ in 0..k {
                    big_div_small(&mut beta, 10);
                }
            }
            assert_eq!(big_bits(&beta), 126, "k = {k}");
            // + 1, then the top 63 bits.
            let mut carry = true;
            for limb in beta.iter_mut() {
                if !carry {
                    break;
                }
                (*limb, carry) = limb.overflowing_add(1);
            }
            big_shift(&mut beta, -63);
            let top = u64::from(beta[0]) | u64::from(beta[1]) << 32;
            assert_eq!(top, entry, "k = {k}");
        }
    }
}
