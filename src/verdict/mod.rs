//! The verdict: what the judge said (`raw`), held against the answer and
//! scored by the program rather than by the model (`score`), the schema the
//! judge is asked to follow (`schema`), the checks of an answer before it
//! is sent (`guard`), and a preview of the key points while a reply streams
//! in (`partial`). All of it pure: no network, no terminal, no SQLite.

pub mod guard;
mod partial;
mod raw;
mod schema;
mod score;

pub use guard::{answer_flags, is_question, FLAG_KEYWORD_STUFFED, FLAG_PASTED_KEY_POINTS};
pub use partial::{PointScan, SeenPoint};
pub use raw::{parse_verdict, parse_verdict_for, Coverage, RawMistake, RawPoint, RawVerdict};
pub use schema::{verdict_schema, MAX_MISTAKES};
pub use score::{
    evidence_in, finalize, headline, score, Check, FollowUpRound, Mistake, PointVerdict, Usage,
    Verdict, MIN_QUOTE_WORDS,
};

/// A question for the tests of this crate: key points a (weight 2), b and
/// c; the question is "Why does RAG retrieve documents?".
#[cfg(test)]
pub(crate) mod tests_support {
    use crate::bank::{Difficulty, KeyPoint, Question};

    pub fn question() -> Question {
        let kp = |id: &str, weight| KeyPoint {
            id: id.into(),
            point: format!("{id} point"),
            weight,
            cues: vec![],
        };
        Question {
            id: "q".into(),
            topic: "t".into(),
            question: "Why does RAG retrieve documents?".into(),
            difficulty: Difficulty::Core,
            wants_example: false,
            minutes: 3,
            model_answer: "Because.".into(),
            key_points: vec![kp("a", 2), kp("b", 1), kp("c", 1)],
            sources: vec![],
            reviewed: None,
            follow_up: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::question;
    use super::*;

    fn raw(points: &[(&str, Coverage, &str)], mistakes: &[&str]) -> RawVerdict {
        RawVerdict {
            key_points: points
                .iter()
                .map(|(id, coverage, evidence)| RawPoint {
                    id: (*id).into(),
                    coverage: *coverage,
                    evidence: (*evidence).into(),
                })
                .collect(),
            mistakes: mistakes
                .iter()
                .map(|q| RawMistake {
                    quote: (*q).into(),
                    correction: "x".into(),
                })
                .collect(),
            feedback: " ok ".into(),
            follow_up: "next?".into(),
        }
    }

    const ANSWER: &str = "RAG retrieves documents at query-time from a vector index.\nIt's cheaper than   fine-tuning, mostly! Fine-tuning retrains every weight.";

    fn coverages(v: &Verdict) -> Vec<(Coverage, Option<Check>)> {
        v.key_points.iter().map(|p| (p.coverage, p.check)).collect()
    }

    #[test]
    fn all_covered_with_real_quotes_scores_ten() {
        use Coverage::Covered;
        let v = finalize(
            raw(
                &[
                    ("a", Covered, "retrieves documents at query time"),
                    ("b", Covered, "from a vector index"),
                    ("c", Covered, "it's CHEAPER than fine-tuning"),
                ],
                &[],
            ),
            &question(),
            ANSWER,
        );
        assert_eq!(v.score, 10.0);
        assert!(v.key_points.iter().all(|p| p.verified && p.check.is_none()));
        assert_eq!(v.feedback, "ok");
        assert_eq!(headline(v.score), "strong");
    }

    #[test]
    fn a_quote_the_candidate_never_wrote_is_not_credited() {
        use Coverage::{Covered, Missing, Partial};
        let v = finalize(
            raw(
                &[
                    ("a", Covered, "retrieves documents at query time"),
                    ("b", Partial, "cheaper than fine tuning mostly"),
                    ("c", Covered, "uses a knowledge graph instead"),
                ],
                &[],
            ),
            &question(),
            ANSWER,
        );
        assert_eq!(
            coverages(&v),
            [
                (Covered, None),
                (Partial, None),
                (Missing, Some(Check::NotInAnswer))
            ]
        );
        assert!(!v.key_points[2].verified);
        assert_eq!(v.downgraded().count(), 1);
        // (2 + 0.5) / 4
        assert_eq!(v.score, 6.3);
    }

    #[test]
    fn one_quote_reused_for_several_points_credits_only_the_first() {
        use Coverage::{Covered, Missing};
        let q = "retrieves documents at query time";
        let v = finalize(
            raw(
                &[
                    ("a", Covered, q),
                    ("b", Covered, q),
                    ("c", Covered, "Retrieves documents, at query-time!"),
                ],
                &[],
            ),
            &question(),
            ANSWER,
        );
        assert_eq!(
            coverages(&v),
            [
                (Covered, None),
                (Missing, Some(Check::ReusedQuote)),
                (Missing, Some(Check::ReusedQuote))
            ]
        );
    }

    #[test]
    fn a_short_quote_or_the_questions_own_words_earn_at_most_partial() {
        use Coverage::{Covered, Partial};
        let v = finalize(
            raw(
                &[
                    ("a", Covered, "vector index"),
                    ("b", Covered, "RAG retrieves documents"),
                    ("c", Partial, "cheaper"),
                ],
                &[],
            ),
            &question(),
            ANSWER,
        );
        assert_eq!(
            coverages(&v),
            [
                (Partial, Some(Check::ShortQuote)),
                (Partial, Some(Check::ShortQuote)),
                (Partial, None)
            ]
        );
        // Four words, all of them the question's (or stop-words).
        let v = finalize(
            raw(&[("a", Covered, "RAG retrieves documents at")], &[]),
            &question(),
            ANSWER,
        );
        assert_eq!(v.key_points[0].check, Some(Check::QuestionWords));
        // An answer shorter than the minimum may be quoted whole.
        let v = finalize(
            raw(&[("a", Covered, "vector index")], &[]),
            &question(),
            "Vector index.",
        );
        assert_eq!(coverages(&v)[0], (Covered, None));
    }

    #[test]
    fn a_non_answer_quoted_for_every_point_earns_one_point_at_most() {
        use Coverage::{Covered, Missing, Partial};
        let answer = "I have no idea what that is, sorry";
        let reused = (Missing, Some(Check::ReusedQuote));
        for (quote, first, score) in [
            ("idea", (Partial, Some(Check::ShortQuote)), 2.5),
            ("I have no idea", (Covered, None), 5.0),
        ] {
            let v = finalize(
                raw(
                    &[
                        ("a", Covered, quote),
                        ("b", Covered, quote),
                        ("c", Covered, quote),
                    ],
                    &[],
                ),
                &question(),
                answer,
            );
            assert_eq!(coverages(&v), [first, reused, reused], "{quote}");
            assert_eq!(
                v.score, score,
                "{quote}: only `a` (weight 2 of 4) can be credited"
            );
        }
    }

    #[test]
    fn only_mistakes_quoted_from_the_answer_cost_a_point() {
        use Coverage::Covered;
        let points = [("a", Covered, "retrieves documents at query time")];
        let v = finalize(
            raw(
                &points,
                &[
                    "Fine-tuning retrains every weight",
                    "RAG needs a GPU cluster",
                ],
            ),
            &question(),
            ANSWER,
        );
        assert_eq!(
            v.mistakes.iter().map(|m| m.verified).collect::<Vec<_>>(),
            [true, false]
        );
        // 2 of 4 = 5.0, minus the one verified mistake.
        assert_eq!(v.score, 4.0);
        let quotes = ["It's cheaper than fine-tuning"; 9];
        let v = finalize(raw(&points, &quotes), &question(), ANSWER);
        assert_eq!(v.mistakes.len(), MAX_MISTAKES, "at most three are kept");
        assert_eq!(v.score, 2.0);
        let none = [("a", Coverage::Missing, "")];
        let v = finalize(raw(&none, &quotes), &question(), ANSWER);
        assert_eq!(v.score, 0.0, "never below zero");
    }

    #[test]
    fn evidence_matches_whole_words_and_ellipses_in_order() {
        let a = crate::text::normalize(ANSWER);
        assert!(evidence_in("RAG retrieves ... vector index", &a));
        assert!(evidence_in("query time", &a));
        assert!(!evidence_in("vector index ... RAG retrieves", &a));
        assert!(!evidence_in("retrieve documents", &a), "whole words only");
        assert!(!evidence_in("", &a));
        assert!(!evidence_in("...", &a));
    }

    #[test]
    fn the_schema_keys_points_by_id_in_bank_order_quote_first() {
        let s = verdict_schema(&question(), true);
        let points = &s["properties"]["key_points"];
        assert_eq!(points["required"], serde_json::json!(["a", "b", "c"]));
        let keys: Vec<&String> = points["properties"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["a", "b", "c"]);
        let fields: Vec<&String> = points["properties"]["a"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(fields, ["evidence", "coverage"]);
        assert_eq!(points["additionalProperties"], false);
        assert_eq!(s["properties"]["mistakes"]["maxItems"], 3);
        assert_eq!(
            points["properties"]["a"]["properties"]["evidence"]["maxLength"],
            200
        );
        let strict = verdict_schema(&question(), false);
        assert!(!strict.to_string().contains("maxLength"));
        assert!(!strict.to_string().contains("maxItems"));
    }
}
