//! The default `Date` value: LuaSocket's `os.date("!%a, %d %b %Y %H:%M:%S ")`
//! followed by the zone, always in English as Lua's default "C" locale gives.

const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Formats `unix_seconds` as UTC, then appends `zone` as given.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "table indices: rem_euclid(7) is 0..7 and month is 1..=12"
)]
pub fn format_date(unix_seconds: i64, zone: &[u8]) -> Vec<u8> {
    let days = unix_seconds.div_euclid(86_400);
    let seconds_of_day = unix_seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let weekday = WEEKDAYS[days.rem_euclid(7) as usize];
    let mut text = format!(
        "{weekday}, {day:02} {} {year} {:02}:{:02}:{:02} ",
        MONTHS[(month - 1) as usize],
        seconds_of_day / 3600,
        seconds_of_day / 60 % 60,
        seconds_of_day % 60,
    )
    .into_bytes();
    text.extend_from_slice(zone);
    text
}

/// Proleptic Gregorian (year, month 1-12, day 1-31) of a day count since
/// 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::format_date;

    fn date(unix_seconds: i64) -> String {
        String::from_utf8(format_date(unix_seconds, b"-0000")).unwrap()
    }

    #[test]
    fn epoch() {
        assert_eq!(date(0), "Thu, 01 Jan 1970 00:00:00 -0000");
    }

    #[test]
    fn values_checked_against_gnu_date() {
        // date -u -d @N '+%a, %d %b %Y %H:%M:%S'
        assert_eq!(date(951_782_400), "Tue, 29 Feb 2000 00:00:00 -0000");
        assert_eq!(date(1_795_647_599), "Wed, 25 Nov 2026 22:59:59 -0000");
        assert_eq!(date(4_102_444_799), "Thu, 31 Dec 2099 23:59:59 -0000");
        assert_eq!(date(-1), "Wed, 31 Dec 1969 23:59:59 -0000");
    }

    #[test]
    fn zone_is_appended_unchanged() {
        assert_eq!(
            format_date(0, b"+0200 (CEST)"),
            b"Thu, 01 Jan 1970 00:00:00 +0200 (CEST)"
        );
    }
}
