//! A session report as JSON, for scripts: the stored attempts as they are.

use serde_json::{json, Value};

use super::SessionReport;

pub fn render(r: &SessionReport) -> Value {
    json!({
        "session_id": r.id,
        "mode": r.kind.as_str(),
        "started_at": r.started_at,
        "average": r.average,
        "weakest_topic": r.weakest.as_ref().map(|(t, _)| t),
        "attempts": r.rows.iter().map(|row| {
            let a = &row.attempt;
            let advice = row.advice();
            json!({
                "question_id": a.question_id,
                "score": a.score,
                "grader": a.graded_by,
                "status": a.status,
                "counted": a.counted_score().is_some(),
                "answer": a.answer,
                "seconds": a.seconds,
                "cut_off": a.cut_off,
                "error": a.error,
                "outcome": row.outcome.word(),
                "reason": row.outcome.reason(),
                "over_seconds": row.over,
                "follow_ups": row.rounds,
                "recovered": row.recovered,
                "verdict": a.verdict,
                // What to work on: the points missed outright, then the
                // partial ones (a point recovered on a follow-up is neither).
                "next_time": {
                    "missed": advice.missed.iter().map(|(id, _)| id).collect::<Vec<_>>(),
                    "partial": advice.partial.iter().map(|(id, _)| id).collect::<Vec<_>>(),
                },
            })
        }).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_keeps_the_stored_fields_and_says_what_counted() {
        let v = super::render(&crate::report::tests::report());
        assert_eq!(v["mode"], "interview");
        assert_eq!(v["average"], 6.0);
        assert_eq!(v["attempts"][0]["grader"], "llm:m");
        assert_eq!(v["attempts"][1]["grader"], "self");
        assert_eq!(v["attempts"][2]["counted"], false);
        assert_eq!(v["attempts"][3]["status"], "ungraded");
        assert_eq!(v["attempts"][3]["error"], "server down");
    }
}
