//! Malformed and out-of-range input, and the order in which a request's faults are judged
//! (R-SEC-1, R-SEC-4, protocol.md §8.1): one case per row of a table, each sending one bad
//! request and requiring its status and code, then that nothing changed.

use crate::conform::ctx::*;
use http::Method;
use omnisim_protocol::*;
use serde_json::Value;

/// Who makes the request.
#[derive(Clone, Copy, Debug)]
pub enum Caller {
    Org,
    Admin,
    Agent,
    Nobody,
}

impl Refusal {
    /// The optional capabilities the request's route needs.
    pub fn requires(&self) -> &'static [Capability] {
        let on = |part: &str| self.path.contains(part) || self.body.contains(part);
        if on("/outbound") || on("/consent") {
            &[Capability::Outbound]
        } else if on("{ench}") {
            &[Capability::EnhancedChannels]
        } else {
            &[]
        }
    }
}

/// One bad request and what it must get.
#[derive(Clone, Copy, Debug)]
pub struct Refusal {
    /// The rule the expected answer comes from.
    pub rule: &'static str,
    pub method: &'static str,
    /// From the root, with `{org}`, `{ch}` (a standard web channel), `{ench}` (an enhanced web
    /// channel), `{queue}` and `{agent}` filled in.
    pub path: &'static str,
    pub caller: Caller,
    /// JSON text with the same placeholders, and `{4097}`, `{257}`, `{70k}`: that many bytes of
    /// `x`. Empty: no body.
    pub body: &'static str,
    pub status: u16,
    pub code: ErrorCode,
}

/// What a refused request must leave as it was.
async fn state(ctx: &mut Ctx) -> Result<Value, Problem> {
    let mut all = Vec::new();
    for rest in ["/channels", "/queues", "/agents", "/sessions", "/work"] {
        all.push(ctx.ok::<Value>(Method::GET, rest, None::<&()>).await?);
    }
    Ok(Value::Array(all))
}

/// security/4.x and errors/x: `bad` gets its status and code and changes nothing.
pub async fn refused(mut ctx: Ctx, bad: Refusal) -> CaseResult {
    let queue = ctx.queue("q", 60_000).await?;
    let ch = ctx
        .channel(ChannelKind::Web, Platform::Standard, Entry::Queue(queue))
        .await?
        .id;
    // Only rows that need one create an enhanced channel, which a server may lack.
    let ench = if bad.path.contains("{ench}") || bad.body.contains("{ench}") {
        let c = ctx
            .channel(ChannelKind::Web, Platform::Enhanced, Entry::Queue(queue))
            .await?;
        c.id
    } else {
        ChannelId(0)
    };
    let spec = AgentSpec {
        name: "a".into(),
        capacity: 1,
        skills: Default::default(),
    };
    let agent: AgentCreated = ctx.ok(Method::POST, "/agents", Some(&spec)).await?;
    ctx.say(ch, "+1", "p1", "hello").await?;
    let fill = |text: &str| {
        text.replace("{org}", &ctx.org.0.to_string())
            .replace("{ch}", &ch.0.to_string())
            .replace("{ench}", &ench.0.to_string())
            .replace("{queue}", &queue.0.to_string())
            .replace("{agent}", &agent.agent.id.0.to_string())
            .replace("{4097}", &"x".repeat(4097))
            .replace("{257}", &"x".repeat(257))
            .replace("{70k}", &"x".repeat(70 * 1024))
    };
    let (path, body) = (fill(bad.path), fill(bad.body));
    let token = match bad.caller {
        Caller::Org => Some(ctx.token.clone()),
        Caller::Admin => Some(ctx.admin_token().to_owned()),
        Caller::Agent => Some(agent.token.clone()),
        Caller::Nobody => None,
    };
    let method = Method::from_bytes(bad.method.as_bytes()).map_err(|e| error(e.to_string()))?;
    let before = state(&mut ctx).await?;
    let body = (!body.is_empty()).then_some(body);
    let (status, text) = ctx.exchange(method, token.as_deref(), &path, body).await?;
    let code = serde_json::from_str::<ApiError>(&text).ok().map(|e| e.code);
    check(
        bad.rule,
        status == bad.status && code == Some(bad.code),
        format!("{} {}", bad.status, bad.code.as_str()),
        || format!("{status} {text}"),
    )?;
    let after = state(&mut ctx).await?;
    check("R-SEC-4", before == after, "nothing changed", || {
        format!("before {before}\nafter {after}")
    })
}
