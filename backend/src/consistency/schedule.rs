//! A check's `schedule`: five cron fields (minute hour day-of-month month day-of-week) with
//! `*`, lists, ranges and steps, read in the hub's time zone (`TZ`, else the machine's). The
//! hub runs a residual batch at each match. A local time that a clock change skips never
//! matches; one it repeats matches twice.

use types::time::civil_from_days;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
    /// Cron's rule: when both day fields are restricted, either may match.
    either_day: bool,
}

fn field(text: &str, low: u32, high: u32, name: &str) -> Result<u64, String> {
    let mut bits = 0u64;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().map_err(|_| format!("{name}: {s:?} is not a step"))?),
            None => (part, 1),
        };
        if step == 0 {
            return Err(format!("{name}: a step of 0"));
        }
        let (a, b) = match range {
            "*" => (low, high),
            r => match r.split_once('-') {
                Some((a, b)) => (number(a, name)?, number(b, name)?),
                None if step > 1 => (number(r, name)?, high),
                None => (number(r, name)?, number(r, name)?),
            },
        };
        if a < low || b > high || a > b {
            return Err(format!("{name}: {part:?} is outside {low}–{high}"));
        }
        let mut v = a;
        while v <= b {
            bits |= 1 << v;
            v += step;
        }
    }
    Ok(bits)
}

fn number(s: &str, name: &str) -> Result<u32, String> {
    s.parse().map_err(|_| format!("{name}: {s:?} is not a number"))
}

impl Schedule {
    pub fn parse(text: &str) -> Result<Schedule, String> {
        let parts: Vec<&str> = text.split_whitespace().collect();
        let [m, h, dom, mon, dow] = parts.as_slice() else {
            return Err("five fields are needed: minute hour day-of-month month day-of-week".into());
        };
        let mut weekdays = field(dow, 0, 7, "day of week")?;
        if weekdays & (1 << 7) != 0 {
            weekdays |= 1; // 7 is Sunday too
        }
        Ok(Schedule {
            minutes: field(m, 0, 59, "minute")?,
            hours: field(h, 0, 23, "hour")?,
            days: field(dom, 1, 31, "day of month")?,
            months: field(mon, 1, 12, "month")?,
            weekdays,
            either_day: *dom != "*" && *dow != "*",
        })
    }

    fn matches(&self, minute_ms: i64) -> bool {
        let days = minute_ms.div_euclid(86_400_000);
        let of_day = minute_ms.rem_euclid(86_400_000) / 60_000;
        let (_, month, day) = civil_from_days(days);
        let weekday = (days + 4).rem_euclid(7); // 1970-01-01 was a Thursday
        let has = |bits: u64, v: i64| u32::try_from(v).is_ok_and(|v| bits & (1 << v) != 0);
        let (dom, dow) = (has(self.days, day), has(self.weekdays, weekday));
        let day_ok = if self.either_day { dom || dow } else { dom && dow };
        has(self.minutes, of_day % 60) && has(self.hours, of_day / 60) && has(self.months, month) && day_ok
    }

    /// The first matching minute after `after_ms` (within four years) in the hub's time
    /// zone, in unix ms.
    pub fn next_after(&self, after_ms: i64) -> Option<i64> {
        self.next_after_in(after_ms, local_offset_ms)
    }

    /// The same in the zone whose offset from UTC (ms) at a unix ms `offset` gives.
    pub fn next_after_in(&self, after_ms: i64, offset: impl Fn(i64) -> i64) -> Option<i64> {
        let mut minute = after_ms.div_euclid(60_000) * 60_000 + 60_000;
        let end = minute + 4 * 366 * 86_400_000;
        // Zones change their offset on a quarter hour: asked once per quarter, not per minute.
        let mut shift = offset(minute);
        while minute < end {
            if minute % 900_000 == 0 {
                shift = offset(minute);
            }
            if self.matches(minute + shift) {
                return Some(minute);
            }
            minute += 60_000;
        }
        None
    }
}

/// The hub's local offset from UTC at a unix ms.
fn local_offset_ms(at_ms: i64) -> i64 {
    use chrono::{Local, Offset, TimeZone};
    match Local.timestamp_millis_opt(at_ms) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
            i64::from(t.offset().fix().local_minus_utc()) * 1000
        }
        chrono::LocalResult::None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_at_three_and_every_fifteen_minutes_on_weekdays() {
        let daily = Schedule::parse("0 3 * * *").unwrap();
        let noon = 1_764_676_800_000; // 2025-12-02 12:00 UTC
        assert_eq!(daily.next_after(noon), Some(noon + 15 * 3_600_000));
        let quarter = Schedule::parse("*/15 9-17 * * 1-5").unwrap();
        assert_eq!(quarter.next_after(noon), Some(noon + 15 * 60_000));
        let saturday = noon + 4 * 86_400_000; // 2025-12-06
        assert_eq!(quarter.next_after(saturday), Some(saturday + 2 * 86_400_000 - 3 * 3_600_000));
        // At UTC+2, 03:00 local is 01:00 UTC.
        let east = |_: i64| 2 * 3_600_000;
        assert_eq!(daily.next_after_in(noon, east), Some(noon + 13 * 3_600_000));
        for bad in ["0 3 * *", "61 * * * *", "* * * * mon", "*/0 * * * *"] {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
    }
}
