//! How an answer was delivered, computed by grill from the transcript and
//! its timings, never by the judge: its length against the question's
//! minutes, words per minute, filler words per minute, the longest pause
//! between segments, and the content words said most. Pure.
//!
//! Words per minute are over the time spoken: from the first segment's
//! start to the last one's end where the server gives segments (so the
//! seconds before the first word do not count as slow speech), else over
//! the whole recording. Filler rules are in `words`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::transcript::Transcript;
use super::words::{fillers, tokens, STOPWORDS};

/// The usual range for explaining something aloud, in words per minute.
pub const PACE: (f64, f64) = (120.0, 160.0);
/// Content words said at least this often are "repeated".
const REPEATED_AT_LEAST: usize = 2;
/// How many repeated words are shown.
const REPEATED_SHOWN: usize = 5;
/// Below this many seconds spoken, rates per minute say nothing.
const MIN_SECS: f64 = 5.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pace {
    Slow,
    InRange,
    Fast,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Count {
    pub word: String,
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pause {
    pub secs: f64,
    /// When it began, in seconds from the start of the recording.
    pub at_secs: f64,
}

/// The delivery figures of one spoken answer, as shown and stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// The recording's length, when known.
    pub audio_secs: Option<f64>,
    /// From the first word to the last, where segments say; else `audio_secs`.
    pub speaking_secs: Option<f64>,
    /// The question's minutes, in seconds.
    pub suggested_secs: f64,
    pub words: usize,
    pub wpm: Option<f64>,
    pub pace: Option<Pace>,
    pub fillers: usize,
    pub fillers_per_min: Option<f64>,
    /// Each filler found, most frequent first.
    pub filler_counts: Vec<Count>,
    /// The longest gap between two segments, when there are two or more.
    pub longest_pause: Option<Pause>,
    /// Content words said twice or more, most frequent first.
    pub repeated: Vec<Count>,
}

fn tenth(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Counts of `items`, most frequent first, ties in order of first appearance.
fn ranked<'a>(items: impl Iterator<Item = &'a str>) -> Vec<Count> {
    let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
    for (i, item) in items.enumerate() {
        counts.entry(item).or_insert((0, i)).0 += 1;
    }
    let mut out: Vec<(&str, (usize, usize))> = counts.into_iter().collect();
    out.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.1 .1.cmp(&b.1 .1)));
    out.into_iter()
        .map(|(word, (count, _))| Count {
            word: word.to_string(),
            count,
        })
        .collect()
}

impl Delivery {
    /// The figures of `transcript`, for a question of `minutes`.
    pub fn of(transcript: &Transcript, minutes: u32) -> Delivery {
        let words = tokens(&transcript.text);
        let found = fillers(&words);
        let mut in_filler = vec![false; words.len()];
        for &(kind, at) in &found {
            let len = if kind.contains(' ') { 2 } else { 1 };
            for flag in in_filler.iter_mut().skip(at).take(len) {
                *flag = true;
            }
        }
        let segments = &transcript.segments;
        let spoken_span = match (segments.first(), segments.last()) {
            (Some(first), Some(last)) if last.end > first.start => Some(last.end - first.start),
            _ => None,
        };
        let speaking_secs = spoken_span.or(transcript.audio_secs).filter(|s| *s > 0.0);
        let per_min = |n: usize| {
            speaking_secs
                .filter(|s| *s >= MIN_SECS)
                .map(|s| tenth(n as f64 * 60.0 / s))
        };
        let wpm = per_min(words.len());
        let pace = wpm.map(|w| match w {
            w if w < PACE.0 => Pace::Slow,
            w if w > PACE.1 => Pace::Fast,
            _ => Pace::InRange,
        });
        let longest_pause = segments
            .windows(2)
            .map(|w| Pause {
                secs: tenth(w[1].start - w[0].end),
                at_secs: tenth(w[0].end),
            })
            .filter(|p| p.secs > 0.0)
            .fold(None, |best: Option<Pause>, p| match best {
                Some(b) if b.secs >= p.secs => Some(b),
                _ => Some(p),
            });
        let content = words
            .iter()
            .zip(&in_filler)
            .filter(|(t, filler)| {
                !**filler
                    && t.word.chars().count() >= 3
                    && t.word.chars().any(char::is_alphabetic)
                    && !STOPWORDS.contains(&t.word.as_str())
            })
            .map(|(t, _)| t.word.as_str());
        let repeated = ranked(content)
            .into_iter()
            .filter(|c| c.count >= REPEATED_AT_LEAST)
            .take(REPEATED_SHOWN)
            .collect();
        Delivery {
            audio_secs: transcript.audio_secs.map(tenth),
            speaking_secs: speaking_secs.map(tenth),
            suggested_secs: f64::from(minutes) * 60.0,
            words: words.len(),
            wpm,
            pace,
            fillers: found.len(),
            fillers_per_min: per_min(found.len()),
            filler_counts: ranked(found.iter().map(|(kind, _)| *kind)),
            longest_pause,
            repeated,
        }
    }
}

/// `m:ss`.
pub fn clock(secs: f64) -> String {
    let total = secs.max(0.0).round() as u64;
    format!("{}:{:02}", total / 60, total % 60)
}

/// The figures as lines of (label, text), for people.
pub fn lines(d: &Delivery) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let minutes = d.suggested_secs / 60.0;
    if let Some(secs) = d.audio_secs {
        let over = secs - d.suggested_secs;
        let text = if d.suggested_secs > 0.0 && over > 0.0 {
            format!(
                "{} spoken, {} over the {minutes:.0} minutes suggested",
                clock(secs),
                clock(over)
            )
        } else {
            format!(
                "{} spoken, of the {minutes:.0} minutes suggested",
                clock(secs)
            )
        };
        out.push(("length", text));
    }
    out.push((
        "pace",
        match (d.wpm, d.pace) {
            (Some(wpm), Some(pace)) => {
                let said = match pace {
                    Pace::Slow => "slow",
                    Pace::InRange => "in range",
                    Pace::Fast => "fast",
                };
                format!(
                    "{wpm:.0} words per minute, {said} ({:.0}–{:.0} is usual for an explanation)",
                    PACE.0, PACE.1
                )
            }
            _ => format!("{} words, too short to time", d.words),
        },
    ));
    let fillers = if d.fillers == 0 {
        "none heard".to_string()
    } else {
        let each: Vec<String> = d
            .filler_counts
            .iter()
            .map(|c| format!("{} ×{}", c.word, c.count))
            .collect();
        match d.fillers_per_min {
            Some(rate) => format!("{rate:.1} per minute: {}", each.join(", ")),
            None => each.join(", "),
        }
    };
    out.push(("fillers", fillers));
    if let Some(p) = &d.longest_pause {
        out.push((
            "pauses",
            format!("longest {:.1} s, at {}", p.secs, clock(p.at_secs)),
        ));
    }
    if !d.repeated.is_empty() {
        let each: Vec<String> = d
            .repeated
            .iter()
            .map(|c| format!("{} ×{}", c.word, c.count))
            .collect();
        out.push(("repeated", each.join(", ")));
    }
    out
}

/// The figures as a block for the terminal, shown after the grade.
pub fn block(d: &Delivery, model: &str, width: usize) -> String {
    use std::fmt::Write;
    let tail = format!("(spoken, transcribed by {model}; measured by grill, not the judge)");
    let mut out = crate::text::heading("Delivery", anstyle::Style::new(), &tail, width);
    for (label, text) in lines(d) {
        let _ = writeln!(out, "  {label:9} {text}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::speech::transcript::{Format, Heard, Segment};
    use std::path::PathBuf;

    /// 60 words over 30 s in three segments, with 2 s and 3.5 s pauses;
    /// fillers: um ×2, like ×1, you know ×1, uh ×1.
    pub fn known() -> Transcript {
        let parts = [
            (0.0, 9.0, "Um, retrieval augmented generation fetches documents at query time, and, like, the retriever ranks the documents by similarity to the query."),
            (11.0, 19.0, "The generator then reads the retrieved documents. You know, the index can go stale, so uh we rebuild the index nightly and um monitor"),
            (22.5, 30.0, "recall on a labelled set. Fine-tuning changes the weights, which suits style better than facts."),
        ];
        let segments: Vec<Segment> = parts
            .iter()
            .map(|(start, end, text)| Segment {
                start: *start,
                end: *end,
                text: (*text).to_string(),
                no_speech: Some(0.01),
            })
            .collect();
        let text = parts.iter().map(|p| p.2).collect::<Vec<_>>().join(" ");
        let heard = Heard {
            text,
            segments,
            duration: Some(31.0),
        };
        Transcript::new(
            heard,
            PathBuf::from("a.wav"),
            None,
            "whisper-1",
            Format::VerboseJson,
        )
    }

    #[test]
    fn a_known_transcript_gives_known_figures() {
        let t = known();
        assert_eq!(tokens(&t.text).len(), 60);
        let d = Delivery::of(&t, 2);
        assert_eq!(d.words, 60);
        assert_eq!(d.audio_secs, Some(31.0));
        assert_eq!(d.speaking_secs, Some(30.0));
        assert_eq!(d.wpm, Some(120.0));
        assert_eq!(d.pace, Some(Pace::InRange));
        assert_eq!(d.fillers, 5);
        assert_eq!(d.fillers_per_min, Some(10.0));
        let counts: Vec<(&str, usize)> = d
            .filler_counts
            .iter()
            .map(|c| (c.word.as_str(), c.count))
            .collect();
        assert_eq!(counts, [("um", 2), ("like", 1), ("you know", 1), ("uh", 1)]);
        assert_eq!(
            d.longest_pause,
            Some(Pause {
                secs: 3.5,
                at_secs: 19.0
            })
        );
        let repeated: Vec<(&str, usize)> = d
            .repeated
            .iter()
            .map(|c| (c.word.as_str(), c.count))
            .collect();
        assert_eq!(repeated, [("documents", 3), ("query", 2), ("index", 2)]);
        assert_eq!(d.suggested_secs, 120.0);
    }

    #[test]
    fn without_segments_the_recording_times_it_and_short_ones_are_not_rated() {
        let mut t = known();
        t.segments.clear();
        t.audio_secs = Some(40.0);
        let d = Delivery::of(&t, 3);
        assert_eq!(
            (d.speaking_secs, d.wpm, d.pace),
            (Some(40.0), Some(90.0), Some(Pace::Slow))
        );
        assert_eq!(d.longest_pause, None);
        t.audio_secs = Some(4.0);
        let d = Delivery::of(&t, 3);
        assert_eq!((d.wpm, d.fillers_per_min), (None, None));
        assert_eq!(d.fillers, 5);
        t.audio_secs = None;
        assert_eq!(Delivery::of(&t, 3).speaking_secs, None);
    }

    #[test]
    fn the_lines_say_length_pace_fillers_pauses_and_words() {
        let d = Delivery::of(&known(), 2);
        let shown: Vec<String> = lines(&d)
            .into_iter()
            .map(|(l, t)| format!("{l}: {t}"))
            .collect();
        assert_eq!(
            shown,
            [
                "length: 0:31 spoken, of the 2 minutes suggested",
                "pace: 120 words per minute, in range (120–160 is usual for an explanation)",
                "fillers: 10.0 per minute: um ×2, like ×1, you know ×1, uh ×1",
                "pauses: longest 3.5 s, at 0:19",
                "repeated: documents ×3, query ×2, index ×2",
            ]
        );
        let mut long = known();
        long.audio_secs = Some(200.0);
        assert_eq!(
            lines(&Delivery::of(&long, 3))[0].1,
            "3:20 spoken, 0:20 over the 3 minutes suggested"
        );
        assert_eq!(clock(59.6), "1:00");
    }
}
