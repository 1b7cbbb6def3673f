//! Delivery over time, for `grill stats`: the median pace and filler rate
//! of every spoken answer, and of the latest few beside them, so a trend
//! shows without one long or nervous answer swinging it. Pure.

use serde::Serialize;

use super::delivery::{Delivery, PACE};

/// How many of the latest answers make "lately".
pub const RECENT: usize = 5;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Medians {
    pub answers: usize,
    pub wpm: Option<f64>,
    pub fillers_per_min: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub all: Medians,
    /// The latest `RECENT`, when there are more answers than that.
    pub recent: Option<Medians>,
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    let m = if values.len().is_multiple_of(2) {
        f64::midpoint(values[mid - 1], values[mid])
    } else {
        values[mid]
    };
    Some((m * 10.0).round() / 10.0)
}

fn medians(all: &[&Delivery]) -> Medians {
    Medians {
        answers: all.len(),
        wpm: median(all.iter().filter_map(|d| d.wpm).collect()),
        fillers_per_min: median(all.iter().filter_map(|d| d.fillers_per_min).collect()),
    }
}

/// The summary of `figures`, oldest first; `None` when there are none.
pub fn summary(figures: &[Delivery]) -> Option<Summary> {
    if figures.is_empty() {
        return None;
    }
    let all: Vec<&Delivery> = figures.iter().collect();
    Some(Summary {
        all: medians(&all),
        recent: (all.len() > RECENT).then(|| medians(&all[all.len() - RECENT..])),
    })
}

/// One line for people.
pub fn line(s: &Summary) -> String {
    let part = |m: &Medians| {
        let wpm = m.wpm.map_or_else(
            || "pace not timed".to_string(),
            |w| format!("{w:.0} words per minute"),
        );
        let fillers = m
            .fillers_per_min
            .map_or_else(String::new, |f| format!(", {f:.1} fillers per minute"));
        format!("{wpm}{fillers}")
    };
    let answers = crate::text::plural(s.all.answers, "spoken answer", "spoken answers");
    let recent = s
        .recent
        .as_ref()
        .map(|r| format!("; the last {}: {}", r.answers, part(r)))
        .unwrap_or_default();
    format!(
        "{answers}, medians: {} ({:.0}–{:.0} is usual){recent}",
        part(&s.all),
        PACE.0,
        PACE.1
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::speech::transcript::{Format, Heard, Transcript};

    fn known() -> Transcript {
        let heard = Heard {
            text: "Caching keeps results.".into(),
            ..Heard::default()
        };
        Transcript::new(heard, "a.wav".into(), Some(10.0), "m", Format::Json)
    }

    #[test]
    fn medians_of_all_and_of_the_latest() {
        assert_eq!(summary(&[]), None);
        let base = Delivery::of(&known(), 2);
        let with = |wpm: f64, fillers: f64| Delivery {
            wpm: Some(wpm),
            fillers_per_min: Some(fillers),
            ..base.clone()
        };
        let one = summary(&[with(150.0, 4.0)]).unwrap();
        assert_eq!(one.all.wpm, Some(150.0));
        assert_eq!(one.recent, None);
        assert_eq!(
            line(&one),
            "1 spoken answer, medians: 150 words per minute, 4.0 fillers per minute (120–160 is usual)"
        );
        let mut many = vec![with(100.0, 9.0), with(110.0, 8.0)];
        many.extend((0..5).map(|i| with(140.0 + f64::from(i), 2.0)));
        let s = summary(&many).unwrap();
        assert_eq!(
            (s.all.answers, s.all.wpm, s.all.fillers_per_min),
            (7, Some(141.0), Some(2.0))
        );
        let recent = s.recent.clone().unwrap();
        assert_eq!((recent.answers, recent.wpm), (5, Some(142.0)));
        assert!(
            line(&s).ends_with("; the last 5: 142 words per minute, 2.0 fillers per minute"),
            "{}",
            line(&s)
        );
        let untimed = Delivery {
            wpm: None,
            fillers_per_min: None,
            ..base
        };
        assert_eq!(median(vec![1.0, 2.0]), Some(1.5));
        assert!(line(&summary(&[untimed]).unwrap()).contains("pace not timed"));
    }
}
