//! Input checks shared by every command, run before anything changes (R-SEC-4).

use super::errors::{error, invalid};
use omnisim_protocol::limits::{
    MAX_CAPACITY, MAX_ITEMS, MAX_NAME_BYTES, MAX_SKILL_LEVEL, MAX_TEXT_BYTES,
};
use omnisim_protocol::{ApiError, Component, ErrorCode, OutboundContent, SkillRequirement};
use std::collections::{BTreeMap, HashSet};

/// `text` without surrounding whitespace, as [`str::trim`] gives it. Every address, message id
/// and text goes through here, and nearly all start and end with a visible ASCII character,
/// which settles it without decoding characters from both ends.
pub fn trimmed(text: &str) -> &str {
    let visible = |b: Option<&u8>| b.is_some_and(u8::is_ascii_graphic);
    let bytes = text.as_bytes();
    if visible(bytes.first()) && visible(bytes.last()) {
        text
    } else {
        text.trim()
    }
}

/// Whether `value` is empty or only whitespace.
fn blank(value: &str) -> bool {
    trimmed(value).is_empty()
}

/// A non-empty name, address or external id within [`MAX_NAME_BYTES`].
pub fn name(field: &str, value: &str) -> Result<(), ApiError> {
    if blank(value) {
        return Err(invalid(format!("{field} must not be empty")));
    }
    if value.len() > MAX_NAME_BYTES {
        return Err(invalid(format!(
            "{field} is longer than {MAX_NAME_BYTES} bytes"
        )));
    }
    Ok(())
}

/// A non-empty message text within [`MAX_TEXT_BYTES`].
pub fn text(field: &str, value: &str) -> Result<(), ApiError> {
    if value.len() > MAX_TEXT_BYTES {
        return Err(error(
            ErrorCode::TextTooLong,
            format!(
                "{field} is {} bytes, over the limit of {MAX_TEXT_BYTES}",
                value.len()
            ),
        ));
    }
    if blank(value) {
        return Err(invalid(format!("{field} must not be empty")));
    }
    Ok(())
}

/// A list of at most [`MAX_ITEMS`] entries.
pub fn count(field: &str, len: usize, min: usize) -> Result<(), ApiError> {
    if len < min || len > MAX_ITEMS {
        return Err(invalid(format!(
            "{field} must have {min} to {MAX_ITEMS} entries, not {len}"
        )));
    }
    Ok(())
}

/// A skill level in 1..=10.
pub fn level(field: &str, level: u8) -> Result<(), ApiError> {
    if !(1..=MAX_SKILL_LEVEL).contains(&level) {
        return Err(invalid(format!(
            "{field} must be 1..={MAX_SKILL_LEVEL}, not {level}"
        )));
    }
    Ok(())
}

/// A capacity or weight in 1..=[`MAX_CAPACITY`].
pub fn capacity(field: &str, value: u32) -> Result<(), ApiError> {
    if !(1..=MAX_CAPACITY).contains(&value) {
        return Err(invalid(format!(
            "{field} must be 1..={MAX_CAPACITY}, not {value}"
        )));
    }
    Ok(())
}

/// Skill requirements with valid names and levels, each skill named once.
pub fn requirements(field: &str, reqs: &[SkillRequirement]) -> Result<(), ApiError> {
    count(field, reqs.len(), 0)?;
    for r in reqs {
        level(&format!("{field}.{}.min_level", r.skill), r.min_level)?;
    }
    distinct_names(
        &format!("{field}.skill"),
        reqs.iter().map(|r| r.skill.as_str()),
    )
}

/// An agent's skills.
pub fn skills(skills: &BTreeMap<String, u8>) -> Result<(), ApiError> {
    count("skills", skills.len(), 0)?;
    for (skill, l) in skills {
        name("skills", skill)?;
        level(&format!("skills.{skill}"), *l)?;
    }
    Ok(())
}

/// Names that must each be valid and distinct: option and slot ids, required skills.
fn distinct_names<'a>(field: &str, ids: impl Iterator<Item = &'a str>) -> Result<(), ApiError> {
    let mut seen = HashSet::new();
    for id in ids {
        name(field, id)?;
        if !seen.insert(id) {
            return Err(invalid(format!("{field} '{id}' appears twice")));
        }
    }
    Ok(())
}

/// A well-formed component.
pub fn component(c: &Component) -> Result<(), ApiError> {
    match c {
        Component::QuestionWithOptions { text: t, options } => {
            text("component.text", t)?;
            count("component.options", options.len(), 1)?;
            for o in options {
                text("component.options.label", &o.label)?;
            }
            distinct_names(
                "component.options.id",
                options.iter().map(|o| o.id.as_str()),
            )
        }
        Component::TimeSelector { text: t, slots } => {
            text("component.text", t)?;
            count("component.slots", slots.len(), 1)?;
            distinct_names("component.slots.id", slots.iter().map(|s| s.id.as_str()))
        }
        Component::EnhancedLink { text: t, url } => {
            text("component.text", t)?;
            text("component.url", url)
        }
    }
}

/// Well-formed outbound content.
pub fn outbound(content: &OutboundContent) -> Result<(), ApiError> {
    match content {
        OutboundContent::Text { text: t } => text("text", t),
        OutboundContent::Template { name: n, text: t } => {
            name("template name", n)?;
            text("text", t)
        }
        OutboundContent::Component { component: c } => component(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_texts_must_hold_more_than_whitespace() {
        for blank in ["", " ", "\t\n", "\u{3000}", " \u{a0} "] {
            assert!(name("address", blank).is_err(), "{blank:?}");
            assert!(text("content.text", blank).is_err(), "{blank:?}");
        }
        for fine in ["x", " x", "x ", "\u{3000}x", "é"] {
            assert!(name("address", fine).is_ok(), "{fine:?}");
            assert!(text("content.text", fine).is_ok(), "{fine:?}");
        }
    }
}
