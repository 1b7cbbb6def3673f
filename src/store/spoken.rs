//! Spoken answers beside their attempts: the transcript as heard, the
//! recording's path and length, and the delivery figures, one row per
//! attempt. The recording itself stays a file; only its path is kept.

use rusqlite::{params, OptionalExtension};

use super::db::Store;
use crate::error::Result;
use crate::speech::delivery::Delivery;
use crate::speech::transcript::{Segment, Transcript};

/// A spoken answer as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Spoken {
    pub attempt_id: i64,
    pub audio_path: String,
    pub audio_secs: Option<f64>,
    /// The words as heard, before any edit.
    pub transcript: String,
    pub segments: Vec<Segment>,
    pub model: String,
    pub format: String,
    /// `None` only if the stored figures cannot be read back.
    pub delivery: Option<Delivery>,
    pub created_at: String,
}

fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Spoken> {
    let segments: String = r.get(4)?;
    let delivery: String = r.get(7)?;
    Ok(Spoken {
        attempt_id: r.get(0)?,
        audio_path: r.get(1)?,
        audio_secs: r.get(2)?,
        transcript: r.get(3)?,
        segments: serde_json::from_str(&segments).unwrap_or_default(),
        model: r.get(5)?,
        format: r.get(6)?,
        delivery: serde_json::from_str(&delivery).ok(),
        created_at: r.get(8)?,
    })
}

const COLUMNS: &str =
    "attempt_id, audio_path, audio_secs, transcript, segments, model, format, delivery, created_at";

impl Store {
    /// Keeps a spoken answer with its attempt (stored first, as any answer).
    pub fn record_spoken(
        &self,
        attempt_id: i64,
        transcript: &Transcript,
        delivery: &Delivery,
    ) -> Result<()> {
        let segments = serde_json::to_string(&transcript.segments).unwrap_or_else(|_| "[]".into());
        let figures = serde_json::to_string(delivery).unwrap_or_else(|_| "{}".into());
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO spoken (attempt_id, audio_path, audio_secs, transcript, segments, model, format, delivery, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    attempt_id,
                    transcript.audio_path.to_string_lossy(),
                    transcript.audio_secs,
                    transcript.text,
                    segments,
                    transcript.model,
                    transcript.format,
                    figures,
                    self.clock.stamp(),
                ],
            )
            .map_err(|e| self.write_error("store the transcript", &e))?;
        Ok(())
    }

    /// The spoken answer of an attempt, if it was spoken.
    pub fn spoken(&self, attempt_id: i64) -> Result<Option<Spoken>> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM spoken WHERE attempt_id = ?1"),
                [attempt_id],
                read,
            )
            .optional()?)
    }

    /// The recording of a spoken answer has moved to `path` (kept).
    pub fn move_recording(&self, attempt_id: i64, path: &std::path::Path) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE spoken SET audio_path = ?2 WHERE attempt_id = ?1",
                params![attempt_id, path.to_string_lossy()],
            )
            .map_err(|e| self.write_error("store the recording's new path", &e))?;
        Ok(())
    }

    /// Every spoken answer, oldest first.
    pub fn all_spoken(&self) -> Result<Vec<Spoken>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM spoken ORDER BY created_at, attempt_id"
        ))?;
        let rows = stmt.query_map([], read)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::speech::transcript::{Format, Heard};
    use crate::store::NewAttempt;
    use crate::time::Clock;

    #[test]
    fn a_spoken_answer_is_kept_with_its_attempt_and_read_back() {
        let store = Store::in_memory(Clock::system()).unwrap();
        let id = store
            .insert_attempt(&NewAttempt {
                question_id: "q",
                topic: "t",
                answer: "edited words",
                ..NewAttempt::default()
            })
            .unwrap();
        let heard = Heard {
            text: "um words as heard".into(),
            segments: vec![Segment {
                start: 0.5,
                end: 6.0,
                text: "um words as heard".into(),
                no_speech: None,
            }],
            duration: Some(7.0),
        };
        let t = Transcript::new(
            heard,
            "/a/answer.wav".into(),
            None,
            "whisper-1",
            Format::VerboseJson,
        );
        let d = Delivery::of(&t, 2);
        store.record_spoken(id, &t, &d).unwrap();
        let back = store.spoken(id).unwrap().unwrap();
        assert_eq!(back.transcript, "um words as heard");
        assert_eq!(back.audio_path, "/a/answer.wav");
        assert_eq!(
            (back.audio_secs, back.format.as_str()),
            (Some(7.0), "verbose_json")
        );
        assert_eq!(back.segments, t.segments);
        assert_eq!(back.delivery, Some(d));
        assert_eq!(store.all_spoken().unwrap().len(), 1);
        assert_eq!(store.spoken(id + 1).unwrap(), None);
    }
}
