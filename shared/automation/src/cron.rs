//! Cron as users write it (five fields: minute hour day-of-month month day-of-week) in an
//! IANA time zone: validated, translated for EventBridge Scheduler, and its next run.
//!
//! EventBridge Scheduler wants six fields (`minute hour day-of-month month day-of-week
//! year`), exactly one of the two day fields as `?`, days of the week numbered 1–7 from
//! Sunday (ours: 0–7, 0 and 7 Sunday), and increments as `start/step`. The translation
//! spells days of the week as names (`MON,WED`), which both read the same way.
//!
//! Daylight saving time, in [`next_run`]: a time that does not exist in the zone (the hour
//! skipped in spring) runs when the clocks have moved, at the same distance past the
//! change (02:30 → 03:30); a time that exists twice (the hour repeated in autumn) runs
//! once, at its first occurrence.

use std::collections::BTreeSet;
use std::str::FromStr;

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

const DAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// A checked five-field cron expression.
#[derive(Debug, Clone)]
pub struct CronRule {
    fields: [String; 5],
    cron: croner::Cron,
}

impl CronRule {
    /// Err: what is wrong, in words for a field error.
    pub fn parse(text: &str) -> Result<Self, String> {
        let fields: Vec<String> = text.split_whitespace().map(str::to_uppercase).collect();
        let fields: [String; 5] = fields.try_into().map_err(|_| {
            "Use five fields: minute hour day-of-month month day-of-week, e.g. `0 9 * * 1-5`.".to_owned()
        })?;
        if let Some(bad) = fields.iter().find(|f| !f.chars().all(|c| c.is_ascii_alphanumeric() || ",-/*".contains(c))) {
            return Err(format!(
                "`{bad}` has characters cron does not use here (only digits, names, `*`, `,`, `-`, `/`)."
            ));
        }
        if fields[2] != "*" && fields[4] != "*" {
            return Err(
                "Give either a day of the month or a day of the week, not both (use `*` for the other).".to_owned()
            );
        }
        let cron =
            croner::Cron::from_str(&fields.join(" ")).map_err(|e| format!("Not a valid cron expression: {e}."))?;
        days_of_week(&fields[4])?;
        Ok(Self { fields, cron })
    }

    /// The six-field form EventBridge Scheduler takes: `cron(0 9 ? * MON,TUE *)`.
    pub fn to_scheduler(&self) -> String {
        let [minute, hour, dom, month, dow] = &self.fields;
        let (dom, dow) = if dow == "*" {
            (increments(dom, 1), "?".to_owned())
        } else {
            let days = days_of_week(dow).unwrap_or_default();
            let names: Vec<&str> = days.iter().map(|d| DAY_NAMES[*d as usize]).collect();
            ("?".to_owned(), names.join(","))
        };
        // Month numbers and names (JAN–DEC) read the same in both.
        let month = increments(month, 1);
        format!("cron({} {} {dom} {month} {dow} *)", increments(minute, 0), increments(hour, 0))
    }

    /// The first run strictly after `after`, in UTC, read in `zone`.
    pub fn next_run(&self, zone: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        next_run(&self.cron, zone, after)
    }
}

/// `*/n` → `start/n` (EventBridge's increments start from a value, not `*`).
fn increments(field: &str, start: u32) -> String {
    field
        .split(',')
        .map(|part| part.strip_prefix("*/").map(|step| format!("{start}/{step}")).unwrap_or(part.to_owned()))
        .collect::<Vec<_>>()
        .join(",")
}

/// The days of the week a field names, 0 = Sunday.
fn days_of_week(field: &str) -> Result<BTreeSet<u32>, String> {
    let day = |text: &str| -> Result<u32, String> {
        if let Some(i) = DAY_NAMES.iter().position(|d| *d == text) {
            return Ok(i as u32);
        }
        match text.parse::<u32>() {
            Ok(7) => Ok(0),
            Ok(n) if n < 7 => Ok(n),
            _ => Err(format!("`{text}` is not a day of the week (0–7 or SUN–SAT).")),
        }
    };
    let mut days = BTreeSet::new();
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => {
                (range, step.parse::<u32>().map_err(|_| format!("`{part}`: the step must be a number."))?)
            }
            None => (part, 1),
        };
        if step == 0 {
            return Err(format!("`{part}`: the step must be at least 1."));
        }
        let (first, last) = match range {
            "*" => (0, 6),
            r => match r.split_once('-') {
                // 7 ends a range as Sunday after Saturday (`5-7` is Friday to Sunday).
                Some((a, b)) => (day(a)?, if b == "7" { 7 } else { day(b)? }),
                None => {
                    let d = day(r)?;
                    (d, if step > 1 { 6 } else { d })
                }
            },
        };
        if first > last {
            return Err(format!("`{part}`: a range must go from the earlier day to the later one."));
        }
        days.extend((first..=last).step_by(step as usize).map(|d| d % 7));
    }
    Ok(days)
}

/// See the module's note on daylight saving time.
fn next_run(cron: &croner::Cron, zone: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    // Cron is matched on the zone's wall clock, read as if it were UTC (no gaps, no repeats).
    // Runs are on whole minutes: the search starts from a whole second.
    let mut wall = after.with_timezone(&zone).naive_local().with_nanosecond(0)?;
    for _ in 0..1000 {
        let candidate = cron.find_next_occurrence(&Utc.from_utc_datetime(&wall), false).ok()?.naive_utc();
        if let Some(at) = instant(zone, candidate)
            && at > after
        {
            return Some(at);
        }
        wall = candidate;
    }
    None
}

/// When a wall-clock time happens in `zone`: the first of two, or past a gap by as much
/// as it was into it.
fn instant(zone: Tz, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
    match zone.from_local_datetime(&wall) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
        LocalResult::None => {
            // The clocks jumped forward by the difference of the offsets either side of
            // the gap; the run is that much later on the wall clock.
            let offset = |at: NaiveDateTime| {
                zone.from_local_datetime(&at).earliest().map(|t| t.offset().fix().local_minus_utc())
            };
            let shift = offset(wall + Duration::hours(3))? - offset(wall - Duration::hours(3))?;
            zone.from_local_datetime(&(wall + Duration::seconds(i64::from(shift))))
                .earliest()
                .map(|t| t.with_timezone(&Utc))
        }
    }
}

/// Parses an IANA zone name.
pub fn zone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>().map_err(|_| format!("`{name}` is not an IANA time zone (such as Europe/Berlin or UTC)."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> CronRule {
        CronRule::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn cron_is_translated_for_the_scheduler() {
        assert_eq!(rule("0 9 * * 1-5").to_scheduler(), "cron(0 9 ? * MON,TUE,WED,THU,FRI *)");
        assert_eq!(rule("30 6 * * 0").to_scheduler(), "cron(30 6 ? * SUN *)");
        assert_eq!(rule("30 6 * * 7").to_scheduler(), "cron(30 6 ? * SUN *)");
        assert_eq!(rule("0 9 * * 5-7").to_scheduler(), "cron(0 9 ? * SUN,FRI,SAT *)");
        assert_eq!(rule("0 9 * * mon,wed,fri").to_scheduler(), "cron(0 9 ? * MON,WED,FRI *)");
        assert_eq!(rule("0 9 * * */2").to_scheduler(), "cron(0 9 ? * SUN,TUE,THU,SAT *)");
        assert_eq!(rule("0 9 * * 1-5/2").to_scheduler(), "cron(0 9 ? * MON,WED,FRI *)");
        assert_eq!(rule("*/15 * * * *").to_scheduler(), "cron(0/15 * * * ? *)");
        assert_eq!(rule("0 8-18/2 1,15 * *").to_scheduler(), "cron(0 8-18/2 1,15 * ? *)");
        assert_eq!(rule("0 0 */5 */3 *").to_scheduler(), "cron(0 0 1/5 1/3 ? *)");
        assert_eq!(rule("0 12 1 jan *").to_scheduler(), "cron(0 12 1 JAN ? *)");
    }

    #[test]
    fn bad_cron_is_refused_with_a_reason() {
        for bad in [
            "0 9 * *",
            "0 0 12 * * *",
            "61 9 * * *",
            "0 9 1 * 1",
            "0 9 * * 8",
            "0 9 * * 5-2",
            "x y z w v",
            "0 9 * * 1#2",
        ] {
            assert!(CronRule::parse(bad).is_err(), "{bad}");
        }
        assert!(zone("Mars/Olympus").is_err());
        assert!(zone("Europe/Berlin").is_ok());
    }

    #[test]
    fn next_runs_follow_the_zone() {
        let berlin = zone("Europe/Berlin").unwrap();
        // Friday 2026-11-27 10:00 UTC → Monday 09:00 Berlin (UTC+1) = 08:00 UTC.
        assert_eq!(
            rule("0 9 * * 1-5").next_run(berlin, utc("2026-11-27T10:00:00Z")),
            Some(utc("2026-11-30T08:00:00Z"))
        );
        let new_york = zone("America/New_York").unwrap();
        assert_eq!(
            rule("0 9 * * *").next_run(new_york, utc("2026-07-01T00:00:00Z")),
            Some(utc("2026-07-01T13:00:00Z"))
        );
        assert_eq!(
            rule("0 9 * * *").next_run(new_york, utc("2026-12-01T00:00:00Z")),
            Some(utc("2026-12-01T14:00:00Z"))
        );
    }

    #[test]
    fn next_runs_are_whole_minutes() {
        let at = utc("2026-11-27T10:00:00.123456789Z");
        let next = rule("*/5 * * * *").next_run(zone("UTC").unwrap(), at).unwrap();
        assert_eq!(next, utc("2026-11-27T10:05:00Z"));
    }

    #[test]
    fn a_time_skipped_in_spring_runs_after_the_change() {
        // Berlin, 2026-03-29: 02:00 → 03:00. 02:30 does not exist; it runs at 03:30 CEST (01:30 UTC).
        let berlin = zone("Europe/Berlin").unwrap();
        let daily = rule("30 2 * * *");
        assert_eq!(daily.next_run(berlin, utc("2026-03-28T12:00:00Z")), Some(utc("2026-03-29T01:30:00Z")));
        // And the day after, 02:30 CEST again (00:30 UTC).
        assert_eq!(daily.next_run(berlin, utc("2026-03-29T01:30:00Z")), Some(utc("2026-03-30T00:30:00Z")));
        // New York, 2026-03-08: 02:00 → 03:00.
        let new_york = zone("America/New_York").unwrap();
        assert_eq!(daily.next_run(new_york, utc("2026-03-07T12:00:00Z")), Some(utc("2026-03-08T07:30:00Z")));
    }

    #[test]
    fn a_time_repeated_in_autumn_runs_once() {
        // Berlin, 2026-10-25: 03:00 CEST → 02:00 CET; 02:30 happens twice. Once, the first.
        let berlin = zone("Europe/Berlin").unwrap();
        let daily = rule("30 2 * * *");
        let first = daily.next_run(berlin, utc("2026-10-24T12:00:00Z")).unwrap();
        assert_eq!(first, utc("2026-10-25T00:30:00Z"));
        assert_eq!(daily.next_run(berlin, first), Some(utc("2026-10-26T01:30:00Z")), "not again an hour later");
        // New York, 2026-11-01: 01:30 happens twice.
        let new_york = zone("America/New_York").unwrap();
        let early = rule("30 1 * * *");
        let first = early.next_run(new_york, utc("2026-10-31T12:00:00Z")).unwrap();
        assert_eq!(first, utc("2026-11-01T05:30:00Z"));
        assert_eq!(early.next_run(new_york, first), Some(utc("2026-11-02T06:30:00Z")));
    }
}
