//! Consent keywords and the checks every message to an end user passes (R-OUT-2..4, R-CHAN-3).

use super::errors::error;
use super::users::UserRecord;
use crate::faults::{Fault, Faults};
use omnisim_protocol::{
    ApiError, Channel, Consent, ErrorCode, MessageBody, OutboundContent, Platform, Timestamp,
};

/// Confirmation sent once when a user opts out (R-OUT-3).
pub const OPT_OUT_CONFIRMATION: &str =
    "You have been unsubscribed and will get no more messages. Reply START to resubscribe.";
/// Confirmation sent when an opted-out user opts back in (R-OUT-3).
pub const OPT_IN_CONFIRMATION: &str = "You have been resubscribed.";

/// A consent keyword an end user can send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keyword {
    OptOut,
    OptIn,
}

/// The keyword `text` is exactly (any case, surrounding space ignored), if any (R-OUT-3).
pub fn keyword(text: &str) -> Option<Keyword> {
    let t = super::validate::trimmed(text);
    if ["STOP", "UNSUBSCRIBE", "REVOKE", "OPT OUT"]
        .iter()
        .any(|k| t.eq_ignore_ascii_case(k))
    {
        Some(Keyword::OptOut)
    } else if t.eq_ignore_ascii_case("START") {
        Some(Keyword::OptIn)
    } else {
        None
    }
}

/// Whether a message of `content` may go to `user` on `channel` at `now`: components need an
/// enhanced channel (R-CHAN-3), opted-out users get nothing (R-OUT-2), free-form messages need the
/// service window open (R-OUT-4).
pub fn check_deliverable(
    now: Timestamp,
    user: &UserRecord,
    channel: &Channel,
    content: &OutboundContent,
    faults: Faults,
) -> Result<(), ApiError> {
    if matches!(content, OutboundContent::Component { .. })
        && channel.platform == Platform::Standard
    {
        return Err(error(
            ErrorCode::ComponentsUnsupported,
            format!(
                "{} is a standard channel: components need an enhanced one",
                channel.id
            ),
        ));
    }
    if user.consent == Consent::OptedOut {
        return Err(error(
            ErrorCode::ConsentRequired,
            format!("{} has opted out", user.id),
        ));
    }
    let window = channel
        .service_window_ms
        .filter(|_| !faults.has(Fault::ServiceWindowIgnored));
    if let Some(window) = window {
        let early = faults.has(Fault::ServiceWindowClosesEarly);
        let open = user
            .last_inbound_at()
            .is_some_and(|t| now - t < window || (now - t == window && !early));
        if !open && !matches!(content, OutboundContent::Template { .. }) {
            return Err(error(
                ErrorCode::OutsideServiceWindow,
                format!(
                    "{}'s last inbound is more than {window} ago: only a template can be sent",
                    user.id
                ),
            ));
        }
    }
    Ok(())
}

/// Whether the org may message `user` first on `channel`: consent at the channel's level (R-OUT-2).
pub fn check_outbound_consent(
    user: &UserRecord,
    channel: &Channel,
    faults: Faults,
) -> Result<(), ApiError> {
    let ignored = faults.has(Fault::ConsentLevelIgnored) && user.consent != Consent::OptedOut;
    if ignored || user.consent.allows(channel.consent_level) {
        Ok(())
    } else {
        Err(error(
            ErrorCode::ConsentRequired,
            format!(
                "{} has consent {:?}; {} needs {:?}",
                user.id, user.consent, channel.id, channel.consent_level
            ),
        ))
    }
}

/// The stored body of outbound content.
pub fn body(content: OutboundContent) -> MessageBody {
    match content {
        OutboundContent::Text { text } => MessageBody::Text { text },
        OutboundContent::Template { name, text } => MessageBody::Template { name, text },
        OutboundContent::Component { component } => MessageBody::Component {
            component: component.into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_match_whole_text_in_any_case() {
        assert_eq!(keyword("stop"), Some(Keyword::OptOut));
        assert_eq!(keyword("  Opt Out "), Some(Keyword::OptOut));
        assert_eq!(keyword("REVOKE"), Some(Keyword::OptOut));
        assert_eq!(keyword("Start"), Some(Keyword::OptIn));
        assert_eq!(keyword("please stop"), None);
        assert_eq!(keyword("stopped"), None);
        // Any surrounding whitespace, on either side alone, Unicode's included.
        assert_eq!(keyword("STOP\n"), Some(Keyword::OptOut));
        assert_eq!(keyword("\tstart"), Some(Keyword::OptIn));
        assert_eq!(keyword("\u{3000}stop\u{3000}"), Some(Keyword::OptOut));
    }
}
