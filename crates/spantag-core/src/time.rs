//! UTC timestamps, stored in project files as RFC 3339 strings (`2026-11-21T09:30:00Z`).
//!
//! Calendar rules (month lengths, leap years) and the arithmetic between dates and seconds come
//! from [`jiff`]. Project files hold whole seconds; an impossible date or time (February 30th,
//! hour 24, second 60) is refused, never adjusted, so that a file is not silently rewritten by the
//! next save.

use jiff::SignedDuration;
use jiff::civil::{Date, DateTime};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use thiserror::Error;

/// Seconds since the Unix epoch, UTC.
///
/// Project files can hold the years 0000 to 9999 ([`Timestamp::MIN`] to [`Timestamp::MAX`]);
/// saving a timestamp outside them is an error, and it is displayed clamped to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

/// The Unix epoch as a civil date and time.
const EPOCH: DateTime = DateTime::constant(1970, 1, 1, 0, 0, 0, 0);

/// Why a string is not a timestamp.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid timestamp {input:?}: {reason}; expected e.g. \"2026-11-21T09:30:00Z\"")]
pub struct TimestampError {
    input: String,
    reason: String,
}

impl Timestamp {
    /// The first second of the year 0000.
    pub const MIN: Timestamp = Timestamp(-62_167_219_200);
    /// The last second of the year 9999.
    pub const MAX: Timestamp = Timestamp(253_402_300_799);

    /// The current time, to the second.
    pub fn now() -> Self {
        Timestamp(jiff::Timestamp::now().as_second())
    }

    /// Parses `YYYY-MM-DDTHH:MM:SSZ`. A space may stand for the `T`, fractional seconds are
    /// accepted and dropped, and the zone may be `Z`, `+00:00` or absent (UTC). The date and time
    /// must exist: there is no February 30th, hour 24 or second 60.
    pub fn parse(s: &str) -> Result<Self, TimestampError> {
        let fail = |reason: String| TimestampError {
            input: s.to_owned(),
            reason,
        };
        let shape = || fail("not of the form YYYY-MM-DDTHH:MM:SSZ".to_owned());
        let b = s.as_bytes();
        if b.len() < 19
            || b[4] != b'-'
            || b[7] != b'-'
            || !matches!(b[10], b'T' | b' ')
            || b[13] != b':'
            || b[16] != b':'
        {
            return Err(shape());
        }
        // At most four ASCII digits, so no overflow.
        let num = |r: std::ops::Range<usize>| -> Option<i16> {
            b.get(r)?.iter().try_fold(0i16, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + i16::from(c - b'0'))
            })
        };
        let field = |r| num(r).ok_or_else(shape);
        let small = |r| field(r).map(|v| i8::try_from(v).unwrap_or(i8::MAX));
        let (y, mo, d) = (field(0..4)?, small(5..7)?, small(8..10)?);
        let (h, mi, se) = (small(11..13)?, small(14..16)?, small(17..19)?);
        let mut rest = &s[19..];
        if let Some(frac) = rest.strip_prefix('.') {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(shape());
            }
            rest = &frac[digits..];
        }
        if !matches!(rest, "Z" | "" | "+00:00") {
            return Err(fail(format!(
                "the zone {rest:?} is not UTC (write Z or +00:00)"
            )));
        }
        match DateTime::new(y, mo, d, h, mi, se, 0) {
            Ok(dt) => Ok(Timestamp(dt.duration_since(EPOCH).as_secs())),
            Err(e) => Err(fail(
                why_not(y, mo, d, h, mi, se).unwrap_or_else(|| e.to_string()),
            )),
        }
    }

    /// Whether project files can hold this timestamp (years 0000 to 9999).
    pub fn is_writable(self) -> bool {
        (Timestamp::MIN..=Timestamp::MAX).contains(&self)
    }

    /// The civil UTC date and time, clamped to the years 0000 to 9999.
    fn civil(self) -> DateTime {
        let secs = self.0.clamp(Timestamp::MIN.0, Timestamp::MAX.0);
        // In range by the clamp, so the addition cannot fail.
        EPOCH
            .checked_add(SignedDuration::from_secs(secs))
            .unwrap_or(EPOCH)
    }
}

/// Why jiff refused a date and time, in words.
fn why_not(y: i16, mo: i8, d: i8, h: i8, mi: i8, se: i8) -> Option<String> {
    if !(1..=12).contains(&mo) {
        return Some(format!("there is no month {mo}"));
    }
    let first = Date::new(y, mo, 1).ok()?;
    if !(1..=first.days_in_month()).contains(&d) {
        return Some(format!(
            "{} {y:04} has {} days",
            first.strftime("%B"),
            first.days_in_month()
        ));
    }
    (h > 23 || mi > 59 || se > 59).then(|| {
        format!(
            "the time {h:02}:{mi:02}:{se:02} does not exist (hours go to 23, minutes and \
             seconds to 59)"
        )
    })
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // jiff leaves out a fraction of zero, which whole seconds always have.
        write!(f, "{}Z", self.civil())
    }
}

impl std::str::FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !self.is_writable() {
            return Err(serde::ser::Error::custom(format!(
                "timestamp {} seconds is outside the years 0000 to 9999",
                self.0
            )));
        }
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A visitor, so that parsing borrows the string instead of allocating it.
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a timestamp such as \"2026-11-21T09:30:00Z\"")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Timestamp, E> {
                Timestamp::parse(s).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    fn text(t: &str) -> Option<String> {
        Timestamp::parse(t).ok().map(|t| t.to_string())
    }

    #[test]
    fn round_trip() {
        for t in [0, 951_782_400, 1_795_000_000, 4_107_542_399, -86_400] {
            let ts = Timestamp(t);
            assert_eq!(Timestamp::parse(&ts.to_string()), Ok(ts));
        }
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(Timestamp(1_795_000_000).to_string(), "2026-11-18T11:06:40Z");
        assert_eq!(
            text("2000-02-29T12:00:00Z").as_deref(),
            Some("2000-02-29T12:00:00Z")
        );
        assert!(Timestamp::parse("yesterday").is_err());
    }

    #[test]
    fn the_accepted_spellings() {
        for t in [
            "2026-11-18T11:06:40Z",
            "2026-11-18 11:06:40Z",
            "2026-11-18T11:06:40",
            "2026-11-18T11:06:40+00:00",
            "2026-11-18T11:06:40.999Z",
            "2026-11-18T11:06:40.5+00:00",
        ] {
            assert_eq!(text(t).as_deref(), Some("2026-11-18T11:06:40Z"), "{t}");
        }
        for t in [
            "2026-11-18T11:06:40+01:00",
            "2026-11-18T11:06:40.Z",
            "2026-11-18T11:06Z",
            "2026-11-18t11:06:40Z",
            "2026-1-18T11:06:40Z",
            "+2026-11-18T11:06:40Z",
            "2026-11-18T11:06:4xZ",
            "2026-11-18T11:+6:40Z",
            "2026-11-18T11:06:40Z ",
            "",
        ] {
            assert!(Timestamp::parse(t).is_err(), "{t}");
        }
    }

    #[test]
    fn the_ends_of_the_writable_range() {
        assert_eq!(Timestamp::MIN.to_string(), "0000-01-01T00:00:00Z");
        assert_eq!(Timestamp::MAX.to_string(), "9999-12-31T23:59:59Z");
        assert_eq!(
            text("0000-01-01T00:00:00Z").as_deref(),
            Some("0000-01-01T00:00:00Z")
        );
        assert_eq!(Timestamp::parse("9999-12-31T23:59:59Z"), Ok(Timestamp::MAX));
        assert_eq!(Timestamp::parse("0000-01-01T00:00:00Z"), Ok(Timestamp::MIN));
        // Outside, shown clamped and refused on saving.
        assert_eq!(Timestamp(i64::MAX).to_string(), "9999-12-31T23:59:59Z");
        assert_eq!(Timestamp(i64::MIN).to_string(), "0000-01-01T00:00:00Z");
        assert!(serde_json::to_string(&Timestamp(i64::MAX)).is_err());
        assert!(serde_json::to_string(&Timestamp(Timestamp::MIN.0 - 1)).is_err());
        assert_eq!(
            serde_json::to_string(&Timestamp(1_795_000_000)).unwrap(),
            "\"2026-11-18T11:06:40Z\""
        );
    }

    #[test]
    fn messages_say_what_is_wrong() {
        let msg = |t: &str| Timestamp::parse(t).unwrap_err().to_string();
        assert!(msg("2026-02-31T10:00:00Z").contains("February 2026 has 28 days"));
        assert!(msg("2024-02-30T10:00:00Z").contains("February 2024 has 29 days"));
        assert!(msg("2026-04-31T10:00:00Z").contains("April 2026 has 30 days"));
        assert!(msg("2026-13-01T10:00:00Z").contains("no month 13"));
        assert!(msg("2026-01-01T24:00:00Z").contains("24:00:00 does not exist"));
        assert!(msg("2026-01-01T10:00:00+02:00").contains("not UTC"));
        assert!(msg("2026-01-01").contains("YYYY-MM-DDTHH:MM:SSZ"));
        let m = msg("2026-12-31T23:59:60Z");
        assert!(
            m.starts_with("invalid timestamp \"2026-12-31T23:59:60Z\"") && m.contains("e.g."),
            "{m}"
        );
    }

    #[test]
    fn now_is_whole_seconds_that_round_trip() {
        let now = Timestamp::now();
        assert!(now > Timestamp(1_577_836_800), "{now}"); // 2020-01-01
        assert_eq!(Timestamp::parse(&now.to_string()), Ok(now));
    }

    /// Days in a month by the Gregorian rules, written out independently of jiff.
    fn month_len(y: i64, m: i64) -> i64 {
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        match m {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }

    proptest! {
        #[test]
        fn every_writable_timestamp_round_trips(
            secs in Timestamp::MIN.0..=Timestamp::MAX.0,
        ) {
            let t = Timestamp(secs);
            let s = t.to_string();
            prop_assert_eq!(s.len(), 20);
            let back = Timestamp::parse(&s);
            prop_assert_eq!(back.clone(), Ok(t));
            prop_assert_eq!(back.map(|b| b.to_string()), Ok(s));
        }

        #[test]
        fn every_valid_date_and_time_round_trips(
            y in 0i64..=9999,
            m in 1i64..=12,
            d in 1i64..=31,
            h in 0i64..=23,
            mi in 0i64..=59,
            se in 0i64..=59,
        ) {
            let d = d.min(month_len(y, m));
            let s = format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{se:02}Z");
            let t = Timestamp::parse(&s);
            prop_assert!(t.is_ok(), "{s}: {t:?}");
            prop_assert_eq!(t.map(|t| t.to_string()), Ok(s));
        }

        #[test]
        fn impossible_dates_and_times_are_rejected(
            y in 0i64..=9999,
            m in 1i64..=12,
            d in 1i64..=28,
            h in 0i64..=23,
            mi in 0i64..=59,
            se in 0i64..=59,
            which in 0usize..8,
        ) {
            let leap = month_len(y, 2) == 29;
            let non_leap = if leap { y + 1 } else { y }; // a leap year is followed by a common one
            let (y, m, d, h, mi, se) = match which {
                0 => (y, 2, 30 + d % 2, h, mi, se),                    // Feb 30/31
                1 => (y, [4, 6, 9, 11][d as usize % 4], 31, h, mi, se), // Apr, Jun, Sep, Nov 31
                2 => (non_leap, 2, 29, h, mi, se),                     // Feb 29, non-leap year
                3 => (y, m, d, 24, mi, se),                            // hour 24
                4 => (y, m, d, h, 60, se),                             // minute 60
                5 => (y, m, d, h, mi, 60),                             // second 60
                6 => (y, 13, d, h, mi, se),                            // month 13
                _ => (y, m, 0, h, mi, se),                             // day 0
            };
            let s = format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{se:02}Z");
            let t = Timestamp::parse(&s);
            prop_assert!(t.is_err(), "{s} was accepted as {t:?}");
        }
    }
}
