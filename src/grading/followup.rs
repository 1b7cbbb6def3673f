//! Follow-up rounds: a real interviewer does not move on after a half
//! answer. After a grade with points left partial or missing, one more
//! question aimed at them; its answer is graded only against those points,
//! and a point it covers is "recovered on follow-up": half its weight, since
//! it took a prompt. The original answer's verdict stays as it was.

use crate::bank::Question;
use crate::verdict::{is_question, score, Coverage, FollowUpRound, PointVerdict, Verdict};

/// The points a follow-up can still recover: not covered, not yet recovered.
pub fn open_points(verdict: &Verdict) -> Vec<&PointVerdict> {
    verdict
        .key_points
        .iter()
        .filter(|p| p.coverage != Coverage::Covered && !p.recovered)
        .collect()
}

/// What the interviewer asks next, and the ids of the points its answer is
/// graded against. The judge's own follow-up comes first (in the first
/// round, when it gave one) and is graded against every open point; without
/// it the question takes up the heaviest open point from the first words
/// of its text (`question`, when known), the way an interviewer would steer
/// to it, and only that point is graded. `None`: nothing is open.
pub fn next_question(
    verdict: &Verdict,
    judged: bool,
    question: Option<&Question>,
) -> Option<(String, Vec<String>)> {
    let open = open_points(verdict);
    // The heaviest, missing before partial, the first in bank order on a tie.
    let rank = |p: &PointVerdict| (p.weight, p.coverage == Coverage::Missing);
    let heaviest = open
        .iter()
        .fold(None::<&PointVerdict>, |best, p| match best {
            Some(b) if rank(b) >= rank(p) => Some(b),
            _ => Some(p),
        })?;
    let judge_asks = judged && verdict.follow_ups.is_empty() && is_question(&verdict.follow_up);
    if judge_asks {
        let ids = open.iter().map(|p| p.id.clone()).collect();
        return Some((verdict.follow_up.trim().to_string(), ids));
    }
    let text = question
        .and_then(|q| q.key_points.iter().find(|k| k.id == heaviest.id))
        .map(|k| k.point.as_str());
    let asked = match text {
        Some(text) => format!(
            "Take one part of this further, starting from “{}…”: how does it go on, and why does it matter here?",
            stem(text)
        ),
        None => "One part of this is still open. What would you add, and why does it matter here?".into(),
    };
    Some((asked, vec![heaviest.id.clone()]))
}

/// The first words of a key point, enough to steer to it and never all of
/// it: about two fifths of its words, 2 to 7.
fn stem(point: &str) -> String {
    let words: Vec<&str> = point.split_whitespace().collect();
    let take = (words.len() * 2 / 5)
        .clamp(2, 7)
        .min(words.len().saturating_sub(1))
        .max(1);
    words[..take.min(words.len())]
        .join(" ")
        .trim_end_matches([',', ';', ':', '.', '('])
        .to_string()
}

/// The question as the follow-up is graded: its key points narrowed to
/// `points`, and the follow-up beside it, so the judge (or the checklist)
/// sees what was asked. The follow-up may be the judge's own words, steered
/// by the first answer: it rides in `follow_up`, which the prompt puts in a
/// data box of its own, never in the question text, the bank's.
pub fn narrowed(question: &Question, follow_up: &str, points: &[String]) -> Question {
    let mut asked = question.clone();
    asked.key_points.retain(|k| points.contains(&k.id));
    asked.follow_up = Some(follow_up.to_string());
    // A follow-up asks about a point, not for a story.
    asked.wants_example = false;
    asked
}

/// The verdict after a follow-up round: points the follow-up's verdict
/// covered are marked recovered and earn half their weight; the score is
/// computed again with the original answer's verified mistakes.
pub fn merge(verdict: &Verdict, mut round: FollowUpRound, judged: Option<&Verdict>) -> Verdict {
    let mut merged = verdict.clone();
    round.score_before = verdict.score;
    if let Some(judged) = judged {
        round.key_points.clone_from(&judged.key_points);
        round.recovered = judged
            .key_points
            .iter()
            .filter(|p| p.coverage == Coverage::Covered && round.points.contains(&p.id))
            .map(|p| p.id.clone())
            .collect();
        for p in &mut merged.key_points {
            if round.recovered.contains(&p.id) && p.coverage != Coverage::Covered {
                p.recovered = true;
            }
        }
        let counted = merged.mistakes.iter().filter(|m| m.verified).count();
        merged.score = score(&merged.key_points, counted);
        if let Some(cap) = story_cap(verdict) {
            merged.score = merged.score.min(cap);
        }
    }
    merged.follow_ups.push(round);
    merged
}

/// A self-grade capped for a missing story stays capped.
fn story_cap(verdict: &Verdict) -> Option<f64> {
    verdict
        .flags
        .iter()
        .any(|f| f == super::FLAG_NO_STORY)
        .then_some(super::NO_STORY_CAP)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::tests_support::question;

    fn point(id: &str, coverage: Coverage, weight: u8) -> PointVerdict {
        PointVerdict {
            id: id.into(),
            coverage,
            claimed: coverage,
            evidence: String::new(),
            verified: true,
            weight,
            check: None,
            uncertain: false,
            recovered: false,
        }
    }

    fn verdict(points: Vec<PointVerdict>, follow_up: &str) -> Verdict {
        Verdict {
            score: score(&points, 0),
            key_points: points,
            follow_up: follow_up.into(),
            ..Verdict::default()
        }
    }

    #[test]
    fn the_judge_asks_first_then_the_heaviest_open_point_by_its_topic() {
        let mut q = question();
        q.key_points[2].point = "Tests make refactoring safe because they pin the behaviour".into();
        let ids: Vec<String> = q.key_points.iter().map(|k| k.id.clone()).collect();
        let v = verdict(
            vec![
                point(&ids[0], Coverage::Covered, 2),
                point(&ids[1], Coverage::Partial, 1),
                point(&ids[2], Coverage::Missing, 1),
            ],
            "What about cost?",
        );
        let (asked, points) = next_question(&v, true, Some(&q)).unwrap();
        assert_eq!(asked, "What about cost?");
        assert_eq!(points, [ids[1].clone(), ids[2].clone()]);
        // Offline, or once the judge's question was used: the heaviest open
        // point, missing before partial, steered to by its text's first
        // words, never the whole of it, and never by its id.
        let (asked, points) = next_question(&v, false, Some(&q)).unwrap();
        assert_eq!(points, [ids[2].clone()]);
        let point_text = &q.key_points[2].point;
        let first_two: Vec<&str> = point_text.split_whitespace().take(2).collect();
        assert!(point_text.split_whitespace().count() >= 5, "{point_text}");
        assert!(asked.contains(&first_two.join(" ")), "{asked}");
        assert!(!asked.contains(point_text.as_str()), "{asked}");
        // Nothing open, nothing asked.
        let all = verdict(vec![point(&ids[0], Coverage::Covered, 2)], "");
        assert!(next_question(&all, true, Some(&q)).is_none());
    }

    #[test]
    fn a_follow_up_of_symbols_is_not_a_question() {
        assert!(is_question("How do tests make refactoring safer?"));
        assert!(is_question("Explain the cost of HyDE."));
        assert!(is_question("Why?"));
        for junk in [
            "[[2.0]]",
            "",
            "?",
            "[1.0] [2.0] [3.0] ok",
            "a b c",
            "…",
            "true",
            "null",
        ] {
            assert!(!is_question(junk), "{junk:?}");
        }
        // The judge's junk is passed over for the heaviest open point.
        let v = verdict(vec![point("cost-of-it", Coverage::Missing, 1)], "[[2.0]]");
        let (asked, points) = next_question(&v, true, None).unwrap();
        assert!(
            asked.starts_with("One part of this is still open"),
            "{asked}"
        );
        assert_eq!(points, ["cost-of-it"]);
    }

    #[test]
    fn a_recovered_point_earns_half_its_weight_and_keeps_the_original_verdict() {
        let v = verdict(
            vec![
                point("a", Coverage::Covered, 2),
                point("b", Coverage::Missing, 1),
                point("c", Coverage::Missing, 1),
            ],
            "",
        );
        assert_eq!(v.score, 5.0);
        let round = FollowUpRound {
            question: "And b?".into(),
            answer: "b indeed".into(),
            points: vec!["b".into(), "c".into()],
            ..FollowUpRound::default()
        };
        // The follow-up covers b, and claims a, which was not open.
        let judged = verdict(
            vec![
                point("b", Coverage::Covered, 1),
                point("a", Coverage::Covered, 2),
            ],
            "",
        );
        let merged = merge(&v, round, Some(&judged));
        let recovered: Vec<&str> = merged
            .key_points
            .iter()
            .filter(|p| p.recovered)
            .map(|p| p.id.as_str())
            .collect();
        assert_eq!(recovered, ["b"]);
        assert_eq!(merged.score, 6.3, "(2 + 0.5) of 4");
        assert_eq!(
            merged.key_points[1].coverage,
            Coverage::Missing,
            "the answer's own verdict stays"
        );
        let round = &merged.follow_ups[0];
        assert_eq!(
            (round.score_before, round.recovered.clone()),
            (5.0, vec!["b".to_string()])
        );
        assert!(open_points(&merged).iter().all(|p| p.id == "c"));

        // An unanswered round changes nothing but is recorded.
        let skipped = FollowUpRound {
            note: Some("no time left".into()),
            ..FollowUpRound::default()
        };
        let merged = merge(&v, skipped, None);
        assert_eq!(merged.score, 5.0);
        assert_eq!(merged.follow_ups.len(), 1);
    }
}
