//! RFC 6238 TOTP (HMAC-SHA1) and RFC 4648 base32, as Keystone's `totp` method uses them.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Keystone's TOTP parameters: 6 digits, 30 s steps, HMAC-SHA1.
pub const DIGITS: u32 = 6;
/// Keystone's TOTP step, seconds.
pub const STEP_SECS: u64 = 30;

/// The TOTP passcode for `secret` (raw bytes) at `unix_time`, 6 digits, 30 s step.
pub fn totp(secret: &[u8], unix_time: u64) -> String {
    totp_with(secret, unix_time, DIGITS, STEP_SECS)
}

/// The TOTP passcode for `secret` now.
pub fn totp_now(secret: &[u8]) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    totp(secret, now)
}

/// RFC 6238 TOTP with HMAC-SHA1, `digits` digits (1..=9) and `step` seconds.
pub fn totp_with(secret: &[u8], unix_time: u64, digits: u32, step: u64) -> String {
    assert!((1..=9).contains(&digits), "digits must be 1..=9");
    assert!(step > 0, "step must be > 0");
    hotp(secret, unix_time / step, digits)
}

/// RFC 4226 HOTP with HMAC-SHA1.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let off = (h[h.len() - 1] & 0x0f) as usize;
    let bin = u32::from_be_bytes([h[off] & 0x7f, h[off + 1], h[off + 2], h[off + 3]]);
    let code = bin % 10u32.pow(digits);
    format!("{code:0width$}", width = digits as usize)
}

/// RFC 4648 base32 (upper case), without `=` padding: the blob format Keystone
/// wants for a `totp` credential.
pub fn base32_nopad(data: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    let mut buf: u64 = 0;
    let mut bits = 0u32;
    for &b in data {
        buf = (buf << 8) | u64::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buf >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    /// RFC 6238 appendix B, the SHA1 rows (8 digits).
    #[test]
    fn rfc6238_sha1_vectors() {
        for (t, want) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(totp_with(RFC_SECRET, t, 8, 30), want, "T={t}");
            // 6 digits = the last 6 of the 8-digit code (same truncated value mod 10^6)
            assert_eq!(totp(RFC_SECRET, t), want[2..], "T={t} (6 digits)");
        }
    }

    /// RFC 4226 appendix D HOTP values.
    #[test]
    fn rfc4226_hotp_vectors() {
        let want = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (c, w) in want.iter().enumerate() {
            assert_eq!(hotp(RFC_SECRET, c as u64, 6), *w, "counter {c}");
        }
    }

    /// RFC 4648 section 10, without the padding.
    #[test]
    fn base32_vectors() {
        for (input, want) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_nopad(input.as_bytes()), want);
        }
        assert_eq!(base32_nopad(RFC_SECRET), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    }
}
