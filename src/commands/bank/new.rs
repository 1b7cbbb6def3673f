//! `grill bank new [--topic T]`: a commented template that passes the check.

use std::io::Write;

use crate::bank::is_slug;
use crate::bank::slug::slugify;
use crate::bank::write::template;
use crate::error::{Error, Result};

pub fn run(topic: Option<&str>) -> Result<()> {
    let topic = topic.unwrap_or("my-topic");
    if !is_slug(topic) {
        return Err(Error::input(format!(
            "--topic `{topic}` must be a slug: lowercase letters, digits, `-`"
        ))
        .with_hint(format!("for example --topic {}", slugify(topic))));
    }
    let mut out = std::io::stdout().lock();
    out.write_all(template(topic).as_bytes())?;
    Ok(())
}
