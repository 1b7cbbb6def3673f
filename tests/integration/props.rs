//! Property tests for the pure core that reads untrusted text: the bank
//! parser, the verdict parser and validator, the evidence matcher, scoring
//! and the pasted-key-points guard. No input makes them panic, and the
//! invariants the score rests on hold for every input.

use proptest::prelude::*;

use grill::bank::{Difficulty, KeyPoint, Question};
use grill::text::normalize;
use grill::verdict::{
    evidence_in, finalize, guard, parse_verdict, Coverage, RawMistake, RawPoint, RawVerdict,
};

fn question() -> Question {
    let kp = |id: &str, point: &str, weight| KeyPoint {
        id: id.into(),
        point: point.into(),
        weight,
        cues: vec![],
    };
    Question {
        id: "q".into(),
        topic: "t".into(),
        question: "Why test?".into(),
        difficulty: Difficulty::Core,
        wants_example: false,
        minutes: 3,
        model_answer: "Tests catch regressions and document behaviour.".into(),
        sources: vec![],
        reviewed: None,
        follow_up: None,
        key_points: vec![
            kp("regressions", "Tests catch regressions", 2),
            kp("docs", "Tests document behaviour", 1),
            kp("refactor", "Tests make refactoring safe", 3),
        ],
    }
}

/// Pieces of bank files, valid and broken, so generated files reach deep into the parser.
fn bank_fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("topic = \"t\"\n".to_string()),
        Just("title = \"T\"\n".to_string()),
        Just("[[questions]]\n".to_string()),
        Just("[[questions.key_points]]\n".to_string()),
        Just("id = \"a\"\n".to_string()),
        Just("question = \"Q?\"\n".to_string()),
        Just("model_answer = \"\"\"\nM\n\"\"\"\n".to_string()),
        Just("difficulty = \"core\"\n".to_string()),
        Just("weight = 2\n".to_string()),
        Just("point = \"p\"\n".to_string()),
        Just("cues = [\"a|b\", \"\"]\n".to_string()),
        (any::<i64>()).prop_map(|n| format!("weight = {n}\n")),
        (any::<i64>()).prop_map(|n| format!("minutes = {n}\n")),
        "[a-z_]{1,12}".prop_map(|k| format!("{k} = 1\n")),
        "\\PC{0,20}".prop_map(|s| format!("id = {s:?}\n")),
        "\\PC{0,20}",
        Just("[questions]\n".to_string()),
        Just("wants_example = \"yes\"\n".to_string()),
        Just("\"\"\"\n".to_string()),
    ]
}

/// A word of letters and digits, some of them outside ASCII.
fn word() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9éßİΣж]{1,8}"
}

/// What goes between words: never a letter or a digit.
fn separator() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(" ".to_string()),
        Just(", ".to_string()),
        Just("\n".to_string()),
        Just("... ".to_string()),
        Just("…".to_string()),
        Just("-".to_string()),
        Just(" (".to_string()),
        Just("; \"".to_string()),
        Just("  \t".to_string()),
    ]
}

/// An answer built from words, with the byte span of each word.
fn answer_with_spans() -> impl Strategy<Value = (String, Vec<(usize, usize)>)> {
    prop::collection::vec((word(), separator()), 1..30).prop_map(|parts| {
        let mut text = String::new();
        let mut spans = Vec::new();
        for (w, sep) in parts {
            let start = text.len();
            text.push_str(&w);
            spans.push((start, text.len()));
            text.push_str(&sep);
        }
        (text, spans)
    })
}

fn coverage() -> impl Strategy<Value = Coverage> {
    prop_oneof![
        Just(Coverage::Covered),
        Just(Coverage::Partial),
        Just(Coverage::Missing)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_bank_parser_never_panics_on_any_text(src in "\\PC{0,400}") {
        let parsed = grill::bank::parse(&src, "bank/t.toml", "t");
        // Whatever it could read, every problem carries a position.
        for d in &parsed.diagnostics {
            prop_assert!(d.line >= 1 && d.col >= 1, "{d}");
        }
    }

    #[test]
    fn the_bank_parser_never_panics_on_near_banks(parts in prop::collection::vec(bank_fragment(), 0..40)) {
        let src = parts.concat();
        let parsed = grill::bank::parse(&src, "bank/t.toml", "t");
        for q in &parsed.questions {
            prop_assert!(!q.key_points.is_empty() || !parsed.diagnostics.is_empty());
            for k in &q.key_points {
                prop_assert!((1..=3).contains(&k.weight) || !parsed.diagnostics.is_empty());
            }
        }
    }

    #[test]
    fn the_verdict_parser_never_panics_on_any_text(text in "\\PC{0,300}") {
        let _ = parse_verdict(&text, &question());
        let _ = grill::json::first_object(&text);
    }

    #[test]
    fn verdict_parsing_and_finalizing_hold_the_invariants(
        points in prop::collection::vec(
            (prop::sample::select(vec!["regressions", "docs", "refactor", "other", ""]),
             prop::sample::select(vec!["covered", "partial", "missing", "yes", ""]),
             "\\PC{0,20}"),
            0..6),
        mistakes in 0usize..15,
        prose in prop::sample::select(vec!["", "Sure! ", "```json\n", "{", "}"]),
        (answer, _) in answer_with_spans(),
    ) {
        let q = question();
        let value = serde_json::json!({
            "key_points": points.iter().map(|(id, c, e)| serde_json::json!({"id": id, "coverage": c, "evidence": e})).collect::<Vec<_>>(),
            "mistakes": (0..mistakes).map(|i| serde_json::json!({"claim": format!("c{i}"), "correction": "x"})).collect::<Vec<_>>(),
            "feedback": "f",
            "follow_up": "u",
        });
        let text = format!("{prose}{value}{prose}");
        if let Ok(raw) = parse_verdict(&text, &q) {
            // Valid means: every key point exactly once, nothing else.
            prop_assert_eq!(raw.key_points.len(), q.key_points.len());
            for k in &q.key_points {
                prop_assert_eq!(raw.key_points.iter().filter(|p| p.id == k.id).count(), 1);
            }
            let v = finalize(raw, &q, &answer);
            prop_assert!((0.0..=10.0).contains(&v.score), "score {}", v.score);
            let normalized = normalize(&answer);
            for p in &v.key_points {
                if p.coverage != Coverage::Missing {
                    prop_assert!(evidence_in(&p.evidence, &normalized));
                }
            }
        }
    }

    #[test]
    fn finalize_never_credits_evidence_that_is_not_in_the_answer(
        (answer, spans) in answer_with_spans(),
        claims in prop::collection::vec((coverage(), any::<bool>(), any::<prop::sample::Index>(), any::<prop::sample::Index>(), "\\PC{0,12}"), 3),
        mistakes in 0usize..12,
    ) {
        let q = question();
        let raw = RawVerdict {
            key_points: q.key_points.iter().zip(&claims).map(|(k, (c, quote, a, b, junk))| {
                let evidence = if *quote {
                    let (i, j) = (a.index(spans.len()), b.index(spans.len()));
                    let (i, j) = (i.min(j), i.max(j));
                    answer[spans[i].0..spans[j].1].to_string()
                } else {
                    junk.clone()
                };
                RawPoint { id: k.id.clone(), coverage: *c, evidence }
            }).collect(),
            mistakes: (0..mistakes).map(|i| RawMistake { quote: format!("{i}"), correction: String::new() }).collect(),
            feedback: String::new(),
            follow_up: String::new(),
        };
        let v = finalize(raw.clone(), &q, &answer);
        prop_assert!((0.0..=10.0).contains(&v.score), "score {}", v.score);
        let verified = v.mistakes.iter().filter(|m| m.verified).count();
        prop_assert_eq!(v.score, grill::verdict::score(&v.key_points, verified));
        let normalized = normalize(&answer);
        for m in &v.mistakes {
            prop_assert_eq!(m.verified, evidence_in(&m.quote, &normalized));
        }
        for (p, r) in v.key_points.iter().zip(&raw.key_points) {
            prop_assert_eq!(p.claimed, r.coverage);
            // Never more than the judge claimed; lowered only with a reason.
            prop_assert!(p.coverage.credit() <= p.claimed.credit());
            prop_assert_eq!(p.coverage == p.claimed, p.check.is_none() || p.claimed == Coverage::Missing);
            if p.coverage != Coverage::Missing {
                prop_assert!(evidence_in(&p.evidence, &normalized), "credited {:?} not in {:?}", p.evidence, answer);
            }
        }
        // Never more than the judge claimed.
        let claimed = grill::verdict::score(
            &v.key_points.iter().cloned().map(|mut p| { p.coverage = p.claimed; p }).collect::<Vec<_>>(),
            verified,
        );
        prop_assert!(v.score <= claimed);
    }

    #[test]
    fn a_quote_taken_from_the_answer_is_always_found(
        (answer, spans) in answer_with_spans(),
        a in any::<prop::sample::Index>(),
        b in any::<prop::sample::Index>(),
    ) {
        let (i, j) = (a.index(spans.len()), b.index(spans.len()));
        let (i, j) = (i.min(j), i.max(j));
        let quote = &answer[spans[i].0..spans[j].1];
        prop_assert!(evidence_in(quote, &normalize(&answer)), "{quote:?} not found in {answer:?}");
        // Case and spacing do not matter.
        let shouted = quote.to_uppercase().replace(' ', "   ");
        let _ = evidence_in(&shouted, &normalize(&answer));
    }

    #[test]
    fn the_evidence_matcher_never_panics(evidence in "\\PC{0,60}", answer in "\\PC{0,200}") {
        let normalized = normalize(&answer);
        prop_assert!(normalized.starts_with(' ') && normalized.ends_with(' '));
        let _ = evidence_in(&evidence, &normalized);
        // Even with a haystack that was never normalized.
        let _ = evidence_in(&evidence, &answer);
        prop_assert!(!evidence_in("", &normalized));
    }

    #[test]
    fn the_score_is_always_between_0_and_10(
        points in prop::collection::vec((coverage(), 0u8..=255), 0..12),
        mistakes in 0usize..40,
    ) {
        let points: Vec<grill::verdict::PointVerdict> = points.iter().enumerate().map(|(i, (c, w))| grill::verdict::PointVerdict {
            id: i.to_string(), coverage: *c, claimed: *c, evidence: String::new(), verified: true, weight: *w, check: None, uncertain: false, recovered: false,
        }).collect();
        let s = grill::verdict::score(&points, mistakes);
        prop_assert!((0.0..=10.0).contains(&s), "{s}");
        prop_assert!(((s * 10.0).round() - s * 10.0).abs() < 1e-9, "one decimal: {s}");
    }

    #[test]
    fn the_paste_guard_never_panics_and_flags_any_pasted_point(
        answer in "\\PC{0,200}",
        point in prop::collection::vec(word(), 3..15),
    ) {
        let q = question();
        let _ = guard::pasted_key_points(&q, &answer);
        // Digits are neutral in the guard: a point needs three real words.
        prop_assume!(point.iter().filter(|w| !w.chars().all(|c| c.is_ascii_digit())).count() >= 3);
        let mut custom = question();
        custom.key_points[0].point = point.join(" ");
        prop_assert!(guard::pasted_key_points(&custom, &custom.key_points[0].point));
    }
}
