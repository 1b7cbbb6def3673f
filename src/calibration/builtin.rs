//! The labelled set shipped with grill (`calibration/*.jsonl` in the
//! repository), compiled in so that `grill calibrate --builtin` works from
//! any directory. A test checks that every file of `calibration/` is here.

/// `(file name, text)` of each labelled file, in name order.
pub const FILES: &[(&str, &str)] = &[
    (
        "agent-security.jsonl",
        include_str!("../../calibration/agent-security.jsonl"),
    ),
    (
        "agents.jsonl",
        include_str!("../../calibration/agents.jsonl"),
    ),
    (
        "embeddings.jsonl",
        include_str!("../../calibration/embeddings.jsonl"),
    ),
    (
        "evaluation.jsonl",
        include_str!("../../calibration/evaluation.jsonl"),
    ),
    (
        "fine-tuning.jsonl",
        include_str!("../../calibration/fine-tuning.jsonl"),
    ),
    (
        "llm-apis.jsonl",
        include_str!("../../calibration/llm-apis.jsonl"),
    ),
    (
        "production.jsonl",
        include_str!("../../calibration/production.jsonl"),
    ),
    ("rag.jsonl", include_str!("../../calibration/rag.jsonl")),
    (
        "safety.jsonl",
        include_str!("../../calibration/safety.jsonl"),
    ),
    (
        "serving.jsonl",
        include_str!("../../calibration/serving.jsonl"),
    ),
];
