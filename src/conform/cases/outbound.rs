//! Consent and outbound: R-OUT-2, R-OUT-3.

use crate::conform::ctx::*;
use omnisim_protocol::*;
use reqwest::Method;

async fn send(
    ctx: &mut Ctx,
    channel: ChannelId,
    address: &str,
) -> Result<(u16, Option<ErrorCode>), Problem> {
    let req = TriggeredOutboundRequest {
        address: address.into(),
        content: OutboundContent::Template {
            name: "hello".into(),
            text: "Hello from Acme".into(),
        },
    };
    let (status, reply) = ctx
        .call::<MessageAccepted>(
            Method::POST,
            &format!("/channels/{}/outbound", channel.0),
            Some(&req),
        )
        .await?;
    Ok((status, reply.err().map(|e| e.code)))
}

/// outbound/2.1: on an explicit-consent channel, outbound needs explicit consent on record.
pub async fn outbound_needs_consent(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 30_000).await?;
    let created = ctx
        .channel(ChannelKind::Whatsapp, Platform::Enhanced, Entry::Queue(q))
        .await?;
    let update = ChannelUpdate {
        consent_level: Some(ConsentLevel::Explicit),
        ..Default::default()
    };
    let updated: Channel = ctx
        .ok(
            Method::PATCH,
            &format!("/channels/{}", created.id.0),
            Some(&update),
        )
        .await?;
    let ch = updated.id;
    // The user writes in and leaves, so that only consent stands between it and outbound.
    ctx.say(ch, "+1", "p1", "hi").await?;
    let (_, ended) = ctx.inbound(ch, "+1", "p2", InboundContent::End).await?;
    ended.map_err(|e| error(format!("ending refused: {e}")))?;
    let (status, code) = send(&mut ctx, ch, "+1").await?;
    check(
        "R-OUT-2",
        status == 403 && code == Some(ErrorCode::ConsentRequired),
        "403 consent_required without explicit consent",
        || format!("{status} {code:?}"),
    )?;
    let consent = ConsentRequest {
        address: "+1".into(),
        consent: Consent::ExplicitlyOptedIn,
    };
    let _: MessagingUser = ctx
        .ok(
            Method::PUT,
            &format!("/channels/{}/users/consent", ch.0),
            Some(&consent),
        )
        .await?;
    let (status, code) = send(&mut ctx, ch, "+1").await?;
    check(
        "R-OUT-2",
        (200..300).contains(&status),
        "accepted with explicit consent",
        || format!("{status} {code:?}"),
    )
}

/// outbound/3.1: STOP opts the user out with one confirmation; outbound is then refused;
/// START restores explicit consent.
pub async fn stop_opts_out_and_start_opts_back_in(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 30_000).await?;
    let ch = ctx
        .channel(ChannelKind::Sms, Platform::Standard, Entry::Queue(q))
        .await?
        .id;
    let s = ctx.say(ch, "+1", "p1", "stop").await?;
    let user: MessagingUser = ctx
        .ok(
            Method::GET,
            &format!("/channels/{}/users?address=%2B1", ch.0),
            None::<&()>,
        )
        .await?;
    check(
        "R-OUT-3",
        user.consent == Consent::OptedOut,
        "consent opted_out after STOP",
        || format!("{:?}", user.consent),
    )?;
    let t = ctx.transcript(s.session).await?;
    let confirmations = t
        .messages
        .iter()
        .filter(|m| matches!(m.sender, Sender::System | Sender::Bot | Sender::Agent))
        .count();
    check(
        "R-OUT-3",
        confirmations == 1,
        "exactly one confirmation",
        || format!("{confirmations} replies: {:?}", t.messages),
    )?;
    let (status, code) = send(&mut ctx, ch, "+1").await?;
    check(
        "R-OUT-2",
        status == 403 && code == Some(ErrorCode::ConsentRequired),
        "outbound to an opted-out user refused with 403 consent_required",
        || format!("{status} {code:?}"),
    )?;
    ctx.say(ch, "+1", "p2", "START").await?;
    let user: MessagingUser = ctx
        .ok(
            Method::GET,
            &format!("/channels/{}/users?address=%2B1", ch.0),
            None::<&()>,
        )
        .await?;
    check(
        "R-OUT-3",
        user.consent == Consent::ExplicitlyOptedIn,
        "START restores explicitly_opted_in",
        || format!("{:?}", user.consent),
    )
}
