//! `grill usage`: the tokens the judge spent on stored grades, by model and
//! by UTC day, and what they cost at the prices the user wrote in the config
//! file, else at grill's shipped, dated table (`prices.toml`). A model in
//! neither shows tokens only.

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;

use crate::cli::UsageArgs;
use crate::context::Context;
use crate::error::Result;
use crate::prices::Prices;
use crate::store::UsageRow;
use crate::style::{BOLD, DIM};
use crate::text::sanitize;
use crate::ui::render;

/// Tokens and cost of a group of grades (a model, a day, everything).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Line {
    pub grades: u64,
    /// Of `grades`, those made through the Batch API.
    pub batch_grades: u64,
    pub prompt_tokens: u64,
    pub cached_tokens: u64,
    pub completion_tokens: u64,
    /// Of `completion_tokens`, those the model spent reasoning.
    pub reasoning_tokens: u64,
    /// `None` when any grade in the group has no price (see `Prices::cost`).
    #[serde(serialize_with = "micro_cents")]
    pub cost: Option<f64>,
}

/// A cost as scripts want it: to a hundredth of a micro-unit, without the
/// float noise of summing (`0.0001701`, not `0.00017009999999999996`).
#[allow(clippy::ref_option, reason = "serde's serialize_with passes &Option")]
fn micro_cents<S: serde::Serializer>(cost: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match cost {
        Some(c) => s.serialize_f64((c * 1e8).round() / 1e8),
        None => s.serialize_none(),
    }
}

impl Line {
    fn add(&mut self, row: &UsageRow, cost: Option<f64>) {
        let first = self.grades == 0;
        self.grades += row.grades;
        if row.batch {
            self.batch_grades += row.grades;
        }
        self.prompt_tokens += row.usage.prompt;
        self.cached_tokens += row.usage.cached;
        self.completion_tokens += row.usage.completion;
        self.reasoning_tokens += row.usage.reasoning;
        self.cost = match (first, self.cost, cost) {
            (true, _, c) => c,
            (false, Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
    }
}

#[derive(Debug, Serialize)]
pub struct ModelLine {
    pub model: String,
    #[serde(flatten)]
    pub line: Line,
}

#[derive(Debug, Serialize)]
pub struct DayLine {
    pub day: String,
    pub model: String,
    #[serde(flatten)]
    pub line: Line,
}

/// The whole report, as `--json` prints it.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The first day counted (`--days`), or `null` for all time.
    pub since: Option<String>,
    pub models: Vec<ModelLine>,
    pub days: Vec<DayLine>,
    pub total: Line,
    /// Models with grades but no `[prices."MODEL"]` in the config file.
    pub unpriced_models: Vec<String>,
    /// Batch API grades that have no cost because `batch_discount` is not set.
    pub batch_without_discount: bool,
}

/// Sums the rows by model and by day; costs at `prices`. Pure.
pub fn report(rows: &[UsageRow], prices: &Prices, since: Option<String>) -> Report {
    let mut models: BTreeMap<&str, Line> = BTreeMap::new();
    let mut days: BTreeMap<(&str, &str), Line> = BTreeMap::new();
    let mut total = Line::default();
    let mut unpriced = std::collections::BTreeSet::new();
    let mut batch_without_discount = false;
    for row in rows {
        let cost = prices.cost(&row.model, row.usage, row.batch);
        if prices.price(&row.model).is_none() {
            unpriced.insert(row.model.clone());
        } else if cost.is_none() {
            batch_without_discount = true;
        }
        models.entry(&row.model).or_default().add(row, cost);
        days.entry((&row.day, &row.model))
            .or_default()
            .add(row, cost);
        total.add(row, cost);
    }
    Report {
        since,
        models: models
            .into_iter()
            .map(|(model, line)| ModelLine {
                model: model.to_string(),
                line,
            })
            .collect(),
        days: days
            .into_iter()
            .map(|((day, model), line)| DayLine {
                day: day.to_string(),
                model: model.to_string(),
                line,
            })
            .collect(),
        total,
        unpriced_models: unpriced.into_iter().collect(),
        batch_without_discount,
    }
}

pub fn run(ctx: &Context, args: &UsageArgs) -> Result<()> {
    let since = match args.days {
        // A window that reaches past the calendar's first day is all time:
        // saturate instead of overflowing (`--days 4294967295` is valid).
        Some(n) => ctx
            .clock()
            .now()
            .checked_sub_signed(chrono::Duration::days(i64::from(n) - 1))
            .map(|day| day.format("%Y-%m-%d").to_string()),
        None => None,
    };
    let rows = ctx.store()?.usage_by_day(since.as_deref())?;
    let report = report(&rows, &ctx.settings.prices, since);
    if args.json {
        return Ok(render::json(&report)?);
    }
    let mut out = render::stdout();
    if report.total.grades == 0 {
        writeln!(
            out,
            "No judged grades with token usage{} yet.",
            report
                .since
                .as_ref()
                .map(|d| format!(" since {d}"))
                .unwrap_or_default()
        )?;
        return Ok(());
    }
    let window = report
        .since
        .as_ref()
        .map_or_else(|| "all time".to_string(), |d| format!("since {d}"));
    writeln!(out, "{BOLD}Judge tokens by model ({window}){BOLD:#}")?;
    let width = report
        .models
        .iter()
        .map(|m| m.model.chars().count())
        .max()
        .unwrap_or(0)
        .max(5);
    header(&mut out, &format!("{:width$}", "model"))?;
    for m in &report.models {
        line(&mut out, &format!("{:width$}", sanitize(&m.model)), &m.line)?;
    }
    if report.models.len() > 1 {
        line(&mut out, &format!("{:width$}", "total"), &report.total)?;
    }
    writeln!(out)?;
    writeln!(out, "{BOLD}By day (UTC){BOLD:#}")?;
    header(&mut out, &format!("{:10}  {:width$}", "day", "model"))?;
    for d in &report.days {
        let label = format!("{:10}  {:width$}", d.day, sanitize(&d.model));
        line(&mut out, &label, &d.line)?;
    }
    for model in &report.unpriced_models {
        writeln!(
            out,
            "{DIM}No price for `{}`: add [prices.\"{}\"] to the config file for its cost (`grill config --example` shows how).{DIM:#}",
            sanitize(model),
            sanitize(model)
        )?;
    }
    if report.batch_without_discount {
        writeln!(
            out,
            "{DIM}Grades made through the Batch API have no cost until you set batch_discount in the config file.{DIM:#}"
        )?;
    }
    if report.total.grades > 0 && report.unpriced_models.len() < report.models.len() {
        writeln!(
            out,
            "{DIM}Cost is from the prices in your config file, else OpenAI's list prices of {} ({}), per million tokens; check them against your bill.{DIM:#}",
            crate::prices::shipped().reviewed,
            crate::prices::shipped().source
        )?;
    }
    Ok(())
}

fn header(out: &mut impl Write, label: &str) -> std::io::Result<()> {
    writeln!(
        out,
        "{BOLD}{label}  {:>7}  {:>12}  {:>12}  {:>12}  {:>12}  {:>10}{BOLD:#}",
        "grades", "prompt", "cached", "completion", "reasoning", "cost"
    )
}

fn line(out: &mut impl Write, label: &str, l: &Line) -> std::io::Result<()> {
    let cost = l.cost.map_or_else(
        || format!("{DIM}{:>10}{DIM:#}", "—"),
        |c| format!("{c:>10.4}"),
    );
    let batch = if l.batch_grades > 0 {
        format!("  {DIM}({} by batch){DIM:#}", l.batch_grades)
    } else {
        String::new()
    };
    writeln!(
        out,
        "{label}  {:>7}  {:>12}  {:>12}  {:>12}  {:>12}  {cost}{batch}",
        l.grades,
        thousands(l.prompt_tokens),
        thousands(l.cached_tokens),
        thousands(l.completion_tokens),
        thousands(l.reasoning_tokens)
    )
}

/// 1234567 as "1,234,567".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prices::Price;
    use crate::verdict::Usage;

    #[test]
    fn a_cost_in_json_carries_no_float_noise() {
        let line = Line {
            cost: Some(0.1 + 0.2),
            ..Line::default()
        };
        let json = serde_json::to_value(&line).unwrap();
        assert_eq!(json["cost"], serde_json::json!(0.3));
        let none = serde_json::to_value(Line::default()).unwrap();
        assert!(none["cost"].is_null());
    }

    fn row(day: &str, model: &str, batch: bool, grades: u64, usage: Usage) -> UsageRow {
        UsageRow {
            day: day.into(),
            model: model.into(),
            batch,
            grades,
            usage,
        }
    }

    fn million(prompt: u64, cached: u64, completion: u64) -> Usage {
        Usage {
            prompt: prompt * 1_000_000,
            cached: cached * 1_000_000,
            completion: completion * 1_000_000,
            reasoning: 0,
        }
    }

    #[test]
    fn rows_sum_by_model_and_day_and_cost_only_what_has_a_price() {
        let mut prices = Prices::default();
        prices.models.insert(
            "a".into(),
            Price {
                input: 1.0,
                cached_input: Some(0.5),
                output: 2.0,
            },
        );
        let rows = [
            row("2026-03-01", "a", false, 2, million(2, 1, 1)),
            row("2026-03-01", "a", true, 3, million(1, 0, 0)),
            row("2026-03-02", "a", false, 1, million(1, 0, 0)),
            row("2026-03-02", "b", false, 4, million(1, 0, 0)),
        ];
        let r = report(&rows, &prices, None);
        assert_eq!(r.models.len(), 2);
        let a = &r.models[0].line;
        assert_eq!((a.grades, a.batch_grades), (6, 3));
        assert_eq!(a.prompt_tokens, 4_000_000);
        assert_eq!(a.cost, None, "the batch grades need a discount");
        assert!(r.batch_without_discount);
        assert_eq!(r.unpriced_models, ["b"]);
        assert_eq!(r.days.len(), 3);
        // 1 fresh × 1 + 1 cached × 0.5 + 1 out × 2
        assert_eq!(r.days[0].line.cost, None);
        assert_eq!(r.days[1].line.cost, Some(1.0));
        assert_eq!(r.total.cost, None);

        prices.batch_discount = Some(0.5);
        let r = report(&rows, &prices, None);
        assert_eq!(r.days[0].line.cost, Some(3.5 + 0.5));
        assert_eq!(r.models[0].line.cost, Some(3.5 + 0.5 + 1.0));
        assert!(!r.batch_without_discount);
        assert_eq!(r.total.cost, None, "b has no price");
    }

    #[test]
    fn big_numbers_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
