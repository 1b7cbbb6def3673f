//! What the judge's tokens cost: at the prices the user wrote in the config
//! file, else at grill's shipped, dated table of OpenAI's list prices
//! (`prices.toml`). A model in neither has no cost; a grade made through the
//! Batch API has one only when a discount is known (the config's
//! `batch_discount`, or the shipped table's for a shipped price).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::verdict::Usage;

/// One model's prices, per million tokens, in whatever currency the user
/// writes them in.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Prompt tokens not served from the provider's prompt cache.
    pub input: f64,
    /// Prompt tokens served from the cache; `input` when not given.
    pub cached_input: Option<f64>,
    pub output: f64,
}

/// Every price the user set, and the Batch API discount.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prices {
    pub models: BTreeMap<String, Price>,
    /// The fraction taken off a grade made through the Batch API (0.5: half price).
    pub batch_discount: Option<f64>,
}

const PER: f64 = 1_000_000.0;

/// grill's own price table: OpenAI's list prices on `reviewed`.
#[derive(Debug, Deserialize)]
pub struct Shipped {
    pub reviewed: String,
    pub source: String,
    pub batch_discount: f64,
    pub models: BTreeMap<String, Price>,
}

pub fn shipped() -> &'static Shipped {
    static SHIPPED: OnceLock<Shipped> = OnceLock::new();
    SHIPPED.get_or_init(|| {
        toml::from_str(include_str!("prices.toml")).expect("the shipped prices.toml parses")
    })
}

impl Price {
    /// What `usage` costs at these prices, before any discount.
    pub fn cost(&self, usage: Usage) -> f64 {
        let cached = usage.cached.min(usage.prompt);
        let fresh = usage.prompt - cached;
        (fresh as f64 * self.input
            + cached as f64 * self.cached_input.unwrap_or(self.input)
            + usage.completion as f64 * self.output)
            / PER
    }
}

impl Prices {
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }

    /// The price of `model`: the config's, else the shipped table's, and
    /// whether it is the shipped one.
    pub fn price(&self, model: &str) -> Option<(Price, bool)> {
        self.models
            .get(model)
            .map(|p| (*p, false))
            .or_else(|| shipped().models.get(model).map(|p| (*p, true)))
    }

    /// What `usage` of `model` cost; `batch` when it went through the Batch
    /// API. `None` when the model has no price, or for a batch grade when no
    /// discount is known (a guess at it would be a price grill made up).
    pub fn cost(&self, model: &str, usage: Usage, batch: bool) -> Option<f64> {
        let (price, is_shipped) = self.price(model)?;
        let full = price.cost(usage);
        if batch {
            self.batch_discount
                .or(is_shipped.then_some(shipped().batch_discount))
                .map(|d| full * (1.0 - d))
        } else {
            Some(full)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prices() -> Prices {
        let mut models = BTreeMap::new();
        models.insert(
            "m".to_string(),
            Price {
                input: 2.0,
                cached_input: Some(0.5),
                output: 8.0,
            },
        );
        Prices {
            models,
            batch_discount: None,
        }
    }

    #[test]
    fn cached_tokens_are_priced_apart_from_fresh_ones() {
        let usage = Usage {
            prompt: 1_000_000,
            cached: 400_000,
            completion: 100_000,
            reasoning: 0,
        };
        // 600k fresh × 2 + 400k cached × 0.5 + 100k out × 8, per million.
        assert_eq!(prices().cost("m", usage, false), Some(1.2 + 0.2 + 0.8));
        let mut no_cache_price = prices();
        no_cache_price.models.get_mut("m").unwrap().cached_input = None;
        assert_eq!(no_cache_price.cost("m", usage, false), Some(2.0 + 0.8));
    }

    #[test]
    fn no_price_no_cost_and_a_batch_needs_its_discount() {
        let usage = Usage {
            prompt: 500_000,
            cached: 0,
            completion: 0,
            reasoning: 0,
        };
        let mut p = prices();
        assert_eq!(p.cost("other", usage, false), None);
        // A shipped price, at the shipped discount for the Batch API.
        assert_eq!(p.cost("gpt-6-luna", usage, false), Some(0.05));
        assert_eq!(p.cost("gpt-6-luna", usage, true), Some(0.025));
        assert_eq!(p.cost("m", usage, true), None, "no discount set");
        p.batch_discount = Some(0.5);
        assert_eq!(p.cost("m", usage, true), Some(0.5));
        assert_eq!(p.cost("m", usage, false), Some(1.0));
    }
}
