//! What a model takes in a request: its family's profile (the shipped table
//! in `profiles.toml`, overridden by the config file), and what its server
//! taught grill by refusing a request, remembered per (base URL, model).
//! `Shape` is the two together, the one place a request's token cap,
//! temperature and reasoning effort are decided.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The field that caps the reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenCap {
    MaxTokens,
    MaxCompletionTokens,
    /// Not sent: the server's own default cap applies.
    None,
}

impl TokenCap {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenCap::MaxTokens => "max_tokens",
            TokenCap::MaxCompletionTokens => "max_completion_tokens",
            TokenCap::None => "none",
        }
    }
}

/// Whether `temperature: 0` is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Temperature {
    Zero,
    /// Never sent: the model refuses any value but its default.
    Omit,
    /// Sent only when reasoning is off (`reasoning_effort: "none"`), as
    /// GPT-5.1 and later take it.
    ZeroWithoutReasoning,
}

impl Temperature {
    pub fn as_str(self) -> &'static str {
        match self {
            Temperature::Zero => "zero",
            Temperature::Omit => "omit",
            Temperature::ZeroWithoutReasoning => "zero_without_reasoning",
        }
    }
}

/// The reasoning efforts any family takes, weakest first.
pub const EFFORTS: [&str; 7] = ["none", "minimal", "low", "medium", "high", "xhigh", "max"];

/// The reply budget a reasoning model gets when a server first shows it
/// reasons: low effort on a seven-point verdict fits with room to spare.
pub const REASONING_BUDGET: u32 = 8000;

/// The largest budget grill widens to on its own.
pub const MAX_BUDGET: u32 = 32_000;

/// Where a profile's values came from, as `grill doctor` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A family of the shipped table.
    Shipped,
    /// No family matched: the plain chat shape.
    Plain,
    /// The config file's `[models."PREFIX"]` table or `reasoning_effort` /
    /// `max_reply_tokens` changed it.
    Config,
}

/// One model family's request shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub family: String,
    pub token_cap: TokenCap,
    pub temperature: Temperature,
    /// The `reasoning_effort` sent; `None`: the field is not sent.
    pub effort: Option<String>,
    /// The efforts the family accepts (empty: it has no such control).
    pub efforts: Vec<String>,
    pub budget: u32,
    pub source: String,
    pub origin: Origin,
}

#[derive(Deserialize)]
struct Table {
    reviewed: String,
    family: Vec<Row>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    name: String,
    prefixes: Vec<String>,
    token_cap: TokenCap,
    temperature: Temperature,
    effort: Option<String>,
    #[serde(default)]
    efforts: Vec<String>,
    budget: u32,
    source: String,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        toml::from_str(include_str!("profiles.toml")).expect("the shipped profiles.toml parses")
    })
}

/// The date the shipped table was last checked against the providers' pages.
pub fn reviewed() -> &'static str {
    &table().reviewed
}

/// The part of a model id a family prefix is matched against: lower case,
/// without a router's `vendor/` part.
fn bare(model: &str) -> String {
    model.rsplit('/').next().unwrap_or(model).to_lowercase()
}

/// The shipped profile of `model`: the family with the longest matching
/// prefix, else the plain chat shape.
pub fn lookup(model: &str) -> Profile {
    let id = bare(model);
    let rows = &table().family;
    let best = rows
        .iter()
        .flat_map(|row| row.prefixes.iter().map(move |p| (row, p)))
        .filter(|(_, p)| id.starts_with(p.as_str()))
        .max_by_key(|(_, p)| p.len());
    let (row, origin) = match best {
        Some((row, _)) => (row, Origin::Shipped),
        None => (
            rows.iter()
                .find(|r| r.prefixes.is_empty())
                .expect("profiles.toml has a plain row"),
            Origin::Plain,
        ),
    };
    Profile {
        family: row.name.clone(),
        token_cap: row.token_cap,
        temperature: row.temperature,
        effort: row.effort.clone(),
        efforts: row.efforts.clone(),
        budget: row.budget,
        source: row.source.clone(),
        origin,
    }
}

/// One `[models."PREFIX"]` table of the config file, or the config's
/// `reasoning_effort` and `max_reply_tokens`: each field set replaces the
/// profile's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Override {
    pub token_cap: Option<TokenCap>,
    pub temperature: Option<Temperature>,
    /// `Some(None)`: send no effort.
    pub effort: Option<Option<String>>,
    pub budget: Option<u32>,
}

impl Override {
    pub fn is_empty(&self) -> bool {
        *self == Override::default()
    }

    /// `profile` with this override's fields in place of its own.
    pub fn apply(&self, mut profile: Profile) -> Profile {
        if self.is_empty() {
            return profile;
        }
        if let Some(cap) = self.token_cap {
            profile.token_cap = cap;
        }
        if let Some(t) = self.temperature {
            profile.temperature = t;
        }
        if let Some(effort) = &self.effort {
            profile.effort.clone_from(effort);
        }
        if let Some(budget) = self.budget {
            profile.budget = budget;
        }
        profile.origin = Origin::Config;
        profile
    }
}

/// What a server taught grill by refusing a request, on top of the
/// profile. Stored as JSON beside the format rung.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Learnt {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_cap: Option<TokenCap>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<Temperature>,
    /// `Some(None)`: the server takes no effort field at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<u32>,
    /// How the server takes a streamed request, once it refused part of one
    /// or answered it whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<Streaming>,
}

/// How a reply is asked to stream: with its usage in a last chunk, without
/// the `stream_options` that asks for it, or not at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Streaming {
    /// `stream: true` and `stream_options: {"include_usage": true}`: the
    /// usage comes in a last chunk with no choices (OpenAI, vLLM, Ollama).
    WithUsage,
    /// `stream: true` alone: the server refused `stream_options`.
    WithoutOptions,
    /// `stream: false`: the server refused `stream`, or answered a streamed
    /// request with one whole JSON reply.
    No,
}

impl Learnt {
    pub fn is_empty(&self) -> bool {
        *self == Learnt::default()
    }

    /// The stored form; `None` when nothing was learnt.
    pub fn to_json(&self) -> Option<String> {
        (!self.is_empty()).then(|| serde_json::to_string(self).unwrap_or_default())
    }

    /// The stored form read back; anything unreadable is nothing learnt.
    pub fn from_json(text: &str) -> Learnt {
        serde_json::from_str(text).unwrap_or_default()
    }
}

/// A server's refusal of a request, by its machine fields first
/// (`error.param`, `error.code`) and its prose second.
#[derive(Debug, Clone, Copy)]
pub struct Refusal<'a> {
    pub message: &'a str,
    pub param: Option<&'a str>,
    pub code: Option<&'a str>,
}

impl Refusal<'_> {
    /// Whether the refusal is about the request field `field`.
    fn names(&self, field: &str) -> bool {
        match self.param {
            Some(p) if !p.is_empty() => {
                let p = p.to_lowercase();
                p == field || p.ends_with(&format!(".{field}"))
            }
            _ => self.message.to_lowercase().contains(field),
        }
    }

    /// Whether the refusal names `field` as a word of its own: `stream` is
    /// not named by "upstream" or by "stream_options".
    fn names_word(&self, field: &str) -> bool {
        let word = |c: char| c.is_alphanumeric() || c == '_';
        match self.param {
            Some(p) if !p.is_empty() => self.names(field),
            _ => {
                let m = self.message.to_lowercase();
                m.match_indices(field).any(|(at, _)| {
                    !m[..at].chars().next_back().is_some_and(word)
                        && !m[at + field.len()..].chars().next().is_some_and(word)
                })
            }
        }
    }

    /// Whether the field itself is unknown to the server (not one value of it).
    fn unknown_field(&self) -> bool {
        let m = self.message.to_lowercase();
        self.code == Some("unsupported_parameter")
            || m.contains("unrecognized request argument")
            || m.contains("unknown parameter")
            || m.contains("unknown field")
    }
}

/// The profile and what was learnt: the shape of every request to one model.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    profile: Profile,
    learnt: Learnt,
}

impl Shape {
    pub fn new(profile: Profile, learnt: Learnt) -> Shape {
        Shape { profile, learnt }
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    pub fn learnt(&self) -> &Learnt {
        &self.learnt
    }

    /// Starts from what a server taught an earlier run.
    pub fn set_learnt(&mut self, learnt: Learnt) {
        self.learnt = learnt;
    }

    pub fn token_cap(&self) -> TokenCap {
        self.learnt.token_cap.unwrap_or(self.profile.token_cap)
    }

    pub fn temperature(&self) -> Temperature {
        self.learnt.temperature.unwrap_or(self.profile.temperature)
    }

    pub fn effort(&self) -> Option<&str> {
        match &self.learnt.effort {
            Some(learnt) => learnt.as_deref(),
            None => self.profile.effort.as_deref(),
        }
    }

    pub fn budget(&self) -> u32 {
        self.learnt.budget.unwrap_or(self.profile.budget)
    }

    /// Sets this shape's token cap, temperature and effort in `request`.
    pub fn apply(&self, request: &mut Value) {
        match self.token_cap() {
            TokenCap::MaxTokens => request["max_tokens"] = self.budget().into(),
            TokenCap::MaxCompletionTokens => {
                request["max_completion_tokens"] = self.budget().into();
            }
            TokenCap::None => {}
        }
        let temperature = match self.temperature() {
            Temperature::Zero => true,
            Temperature::Omit => false,
            Temperature::ZeroWithoutReasoning => self.effort() == Some("none"),
        };
        if temperature {
            request["temperature"] = 0.into();
        }
        if let Some(effort) = self.effort() {
            request["reasoning_effort"] = effort.into();
        }
    }

    /// Learns from a refusal of one of the fields this shape sends; returns
    /// whether anything changed (else the refusal is not about them).
    pub fn learn(&mut self, refusal: &Refusal<'_>) -> bool {
        let cap = self.token_cap();
        if cap != TokenCap::None && refusal.names(cap.as_str()) {
            if cap == TokenCap::MaxTokens {
                // OpenAI's reasoning models refuse `max_tokens`; they refuse
                // any temperature but their default too, and spend tokens
                // reasoning before the reply.
                self.learnt.token_cap = Some(TokenCap::MaxCompletionTokens);
                self.learnt.temperature = Some(Temperature::Omit);
                if self.budget() < REASONING_BUDGET {
                    self.learnt.budget = Some(REASONING_BUDGET);
                }
            } else {
                self.learnt.token_cap = Some(TokenCap::None);
            }
            return true;
        }
        let sends_temperature = match self.temperature() {
            Temperature::Zero => true,
            Temperature::Omit => false,
            Temperature::ZeroWithoutReasoning => self.effort() == Some("none"),
        };
        if sends_temperature && refusal.names("temperature") {
            self.learnt.temperature = Some(Temperature::Omit);
            return true;
        }
        let Some(effort) = self.effort().map(str::to_string) else {
            return false;
        };
        let about_effort = refusal.names("reasoning_effort")
            || refusal.param.is_some_and(|p| p.ends_with("effort"))
            || refusal.message.to_lowercase().contains("thinking level");
        if !about_effort {
            return false;
        }
        self.learnt.effort = Some(if refusal.unknown_field() {
            None
        } else {
            stronger(&effort)
        });
        true
    }

    /// How the next reply is asked to stream.
    pub fn streaming(&self) -> Streaming {
        self.learnt.stream.unwrap_or(Streaming::WithUsage)
    }

    /// Learns from a refusal of a streamed request: `stream_options` is
    /// dropped, then `stream` itself; returns whether the next request changes.
    pub fn learn_stream(&mut self, refusal: &Refusal<'_>) -> bool {
        let next = match self.streaming() {
            Streaming::WithUsage if refusal.names_word("stream_options") => {
                Streaming::WithoutOptions
            }
            Streaming::WithUsage | Streaming::WithoutOptions if refusal.names_word("stream") => {
                Streaming::No
            }
            _ => return false,
        };
        self.learnt.stream = Some(next);
        true
    }

    /// The server answered a streamed request whole: it is asked whole from now on.
    pub fn no_stream(&mut self) {
        self.learnt.stream = Some(Streaming::No);
    }

    /// After a reply that spent its whole budget reasoning: a larger budget,
    /// if there is room; returns it.
    pub fn widen(&mut self) -> Option<u32> {
        let now = self.budget();
        if now >= MAX_BUDGET {
            return None;
        }
        let wider = now.saturating_mul(2).clamp(REASONING_BUDGET, MAX_BUDGET);
        self.learnt.budget = Some(wider);
        Some(wider)
    }
}

/// The next effort up from one a server refused (`minimal` on a family that
/// starts at `low`), or none at all past the strongest.
fn stronger(effort: &str) -> Option<String> {
    match effort {
        "none" | "minimal" => Some("low".into()),
        "low" => Some("medium".into()),
        "medium" => Some("high".into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
