//! `--samples`: several verdicts for one answer, each asked with the key
//! points in another order (to cancel a judge's preference for what comes
//! first), and a vote per point. A point the samples disagree on is marked
//! uncertain; the candidate can settle it in a session.

use crate::bank::Question;
use crate::verdict::{score, Coverage, PointVerdict, Usage, Verdict};

/// The question with its key points in an order fixed by `seed`.
pub fn reordered(question: &Question, seed: u64) -> Question {
    let mut q = question.clone();
    fastrand::Rng::with_seed(seed).shuffle(&mut q.key_points);
    q
}

/// The majority of each point's coverage; a tie goes to the lesser credit.
fn majority(votes: &[Coverage]) -> Coverage {
    let count = |c: Coverage| votes.iter().filter(|v| **v == c).count();
    // `max_by_key` keeps the last of equals: list the lesser credit last.
    [Coverage::Covered, Coverage::Partial, Coverage::Missing]
        .into_iter()
        .max_by_key(|c| count(*c))
        .unwrap_or(Coverage::Missing)
}

/// One verdict from several, in bank order: each point's majority (with the
/// evidence of a sample that voted for it), `uncertain` where the samples
/// disagree; mistakes, notes and follow-up from the first sample; the tokens
/// of all of them.
pub fn combine(question: &Question, samples: &[Verdict]) -> Verdict {
    let Some(first) = samples.first() else {
        return Verdict::default();
    };
    let key_points: Vec<PointVerdict> = question
        .key_points
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let votes: Vec<Coverage> = samples
                .iter()
                .filter_map(|s| s.key_points.get(i).map(|p| p.coverage))
                .collect();
            let winner = majority(&votes);
            let mut point = samples
                .iter()
                .filter_map(|s| s.key_points.get(i))
                .find(|p| p.coverage == winner)
                .cloned()
                .unwrap_or_else(|| first.key_points[i].clone());
            point.uncertain = votes.iter().any(|v| *v != winner);
            point
        })
        .collect();
    let counted = first.mistakes.iter().filter(|m| m.verified).count();
    let usage = samples
        .iter()
        .filter_map(|s| s.usage)
        .reduce(|a, b| a + b)
        .filter(|u: &Usage| u.prompt + u.completion > 0);
    Verdict {
        score: score(&key_points, counted),
        key_points,
        usage,
        ..first.clone()
    }
}

/// The verdict with the candidate's own marks for points the samples split
/// on (`marks`: index in bank order, coverage), scored again.
pub fn settle(verdict: &Verdict, marks: &[(usize, Coverage)]) -> Verdict {
    let mut settled = verdict.clone();
    for &(i, coverage) in marks {
        if let Some(p) = settled.key_points.get_mut(i) {
            p.coverage = coverage;
        }
    }
    let counted = settled.mistakes.iter().filter(|m| m.verified).count();
    settled.score = score(&settled.key_points, counted);
    settled
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::tests_support::question;

    fn verdict(coverages: &[Coverage]) -> Verdict {
        Verdict {
            key_points: coverages
                .iter()
                .zip(["a", "b", "c"])
                .map(|(c, id)| PointVerdict {
                    id: id.into(),
                    coverage: *c,
                    claimed: *c,
                    evidence: format!("{id} words"),
                    verified: true,
                    weight: if id == "a" { 2 } else { 1 },
                    check: None,
                    uncertain: false,
                    recovered: false,
                })
                .collect(),
            usage: Some(Usage {
                prompt: 10,
                cached: 0,
                completion: 5,
                reasoning: 0,
            }),
            ..Verdict::default()
        }
    }

    #[test]
    fn each_point_takes_its_majority_and_a_split_point_is_uncertain() {
        use Coverage::{Covered as C, Missing as M, Partial as P};
        let samples = [
            verdict(&[C, C, M]),
            verdict(&[C, M, M]),
            verdict(&[C, C, P]),
        ];
        let v = combine(&question(), &samples);
        let got: Vec<(Coverage, bool)> = v
            .key_points
            .iter()
            .map(|p| (p.coverage, p.uncertain))
            .collect();
        assert_eq!(got, [(C, false), (C, true), (M, true)]);
        // (2 + 1) of 4.
        assert_eq!(v.score, 7.5);
        assert_eq!(v.usage.map(|u| u.prompt), Some(30), "every sample's tokens");
        // A tie goes to the lesser credit.
        assert_eq!(majority(&[C, M]), M);
        assert_eq!(majority(&[C, P, P, C]), P);
    }

    #[test]
    fn points_settled_by_the_candidate_are_scored_again() {
        use Coverage::{Covered as C, Missing as M};
        let v = combine(&question(), &[verdict(&[C, C, M]), verdict(&[C, M, M])]);
        assert!(v.key_points[1].uncertain);
        assert_eq!(
            v.key_points[1].coverage, M,
            "a tie goes to the lesser credit"
        );
        let settled = settle(&v, &[(1, C)]);
        assert_eq!(settled.key_points[1].coverage, C);
        assert!(
            settled.key_points[1].uncertain,
            "still marked as the judge's split"
        );
        assert_eq!(settled.score, 7.5);
    }

    #[test]
    fn reordering_keeps_the_points_and_is_fixed_per_seed() {
        let q = question();
        let a = reordered(&q, 2);
        assert_eq!(a.key_points.len(), q.key_points.len());
        assert_eq!(reordered(&q, 2).key_points, a.key_points);
        let mut ids: Vec<&str> = a.key_points.iter().map(|k| k.id.as_str()).collect();
        ids.sort_unstable();
        assert_eq!(ids, ["a", "b", "c"]);
    }
}
