//! The catalog: every case, numbered by rule area like h2spec (`routing/5.1`: area, rule 5,
//! first case), named for what it proves, tied to the rules it checks.

pub mod bots;
pub mod channels;
pub mod input;
pub mod isolation;
pub mod outbound;
pub mod preference;
pub mod reads;
pub mod routing;
pub mod security;
pub mod sessions;
pub mod sockets;
pub mod timers;

use super::ctx::{CaseResult, Ctx};
use super::{Case, row};
use futures_util::future::BoxFuture;
use omnisim_protocol::Capability;

macro_rules! case {
    ($id:literal, $name:literal, [$($rule:literal),+], $f:path) => {
        case!($id, $name, [$($rule),+], $f, requires [])
    };
    ($id:literal, $name:literal, [$($rule:literal),+], $f:path, requires [$($cap:ident),*]) => {
        Case {
            id: $id,
            name: $name,
            rules: &[$($rule),+],
            requires: &[$(Capability::$cap),*],
            run: Box::new(|ctx: Ctx| -> BoxFuture<'static, CaseResult> { Box::pin($f(ctx)) }),
        }
    };
}

/// security/1.x: every way in with another org's id (R-SEC-1), and what it needs.
const ISOLATION: &[(&str, &str, isolation::Reach, &[Capability])] = {
    use isolation::Reach::*;
    const OUT: &[Capability] = &[Capability::Outbound];
    &[
        (
            "security/1.2",
            "security.isolation.read_channel",
            ReadChannel,
            &[],
        ),
        (
            "security/1.3",
            "security.isolation.update_channel",
            UpdateChannel,
            &[],
        ),
        ("security/1.4", "security.isolation.inbound", Inbound, &[]),
        ("security/1.5", "security.isolation.outbound", Outbound, OUT),
        ("security/1.6", "security.isolation.consent", Consent, OUT),
        (
            "security/1.7",
            "security.isolation.user_by_address",
            UserByAddress,
            &[],
        ),
        (
            "security/1.8",
            "security.isolation.channel_stream",
            ChannelStream,
            &[],
        ),
        (
            "security/1.9",
            "security.isolation.customer_stream",
            CustomerStream,
            &[],
        ),
        (
            "security/1.10",
            "security.isolation.read_user",
            ReadUser,
            &[],
        ),
        (
            "security/1.11",
            "security.isolation.read_queue",
            ReadQueue,
            &[],
        ),
        ("security/1.12", "security.isolation.read_bot", ReadBot, &[]),
        (
            "security/1.13",
            "security.isolation.read_agent",
            ReadAgent,
            &[],
        ),
        (
            "security/1.14",
            "security.isolation.update_agent",
            UpdateAgent,
            &[],
        ),
        (
            "security/1.15",
            "security.isolation.read_session",
            ReadSession,
            &[],
        ),
        (
            "security/1.16",
            "security.isolation.session_messages",
            SessionMessages,
            &[],
        ),
        (
            "security/1.17",
            "security.isolation.session_work",
            SessionWork,
            &[],
        ),
        (
            "security/1.18",
            "security.isolation.read_work",
            ReadWork,
            &[],
        ),
        (
            "security/1.19",
            "security.isolation.channel_entry",
            ChannelEntry,
            &[],
        ),
        (
            "security/1.20",
            "security.isolation.agent_accept",
            AgentAccept,
            &[],
        ),
        (
            "security/1.21",
            "security.isolation.agent_decline",
            AgentDecline,
            &[],
        ),
        (
            "security/1.22",
            "security.isolation.agent_send",
            AgentSend,
            &[],
        ),
        (
            "security/1.23",
            "security.isolation.agent_transfer",
            AgentTransfer,
            &[],
        ),
        (
            "security/1.24",
            "security.isolation.agent_start_outbound",
            AgentStartOutbound,
            OUT,
        ),
    ]
};

/// security/4.x and errors/x: one bad request each (R-SEC-1, R-SEC-4, protocol.md §8.1).
fn refusals() -> Vec<(&'static str, &'static str, input::Refusal)> {
    use input::Caller::{self, *};
    use omnisim_protocol::ErrorCode::*;
    let r = |rule, method, path, caller: Caller, body, status, code| input::Refusal {
        rule,
        method,
        path,
        caller,
        body,
        status,
        code,
    };
    let (s4, s1) = ("R-SEC-4", "R-SEC-1");
    vec![
        // Unknown fields, one body kind each.
        (
            "security/4.2",
            "security.input.org_unknown_field",
            r(
                s4,
                "POST",
                "/v1/orgs",
                Admin,
                r#"{"name": "o", "plan": "gold"}"#,
                400,
                InvalidJson,
            ),
        ),
        (
            "security/4.3",
            "security.input.channel_unknown_field",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/channels",
                Org,
                r#"{"name": "c", "kind": "web", "platform": "standard", "entry": {"queue": {queue}}, "colour": "red"}"#,
                400,
                InvalidJson,
            ),
        ),
        (
            "security/4.4",
            "security.input.channel_update_unknown_field",
            r(
                s4,
                "PATCH",
                "/v1/orgs/{org}/channels/{ch}",
                Org,
                r#"{"colour": "red"}"#,
                400,
                InvalidJson,
            ),
        ),
        (
            "security/4.5",
            "security.input.queue_unknown_field",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/queues",
                Org,
                r#"{"name": "q", "sla": 20}"#,
                400,
                InvalidJson,
            ),
        ),
        (
            "security/4.6",
            "security.input.bot_unknown_field",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/bots",
                Org,
                r#"{"name": "b", "greeting": "Hi", "question": "What?", "fallback_text": "Wait", "fields": [], "intents": [{"id": "i", "label": "I", "action": {"type": "resolve", "reply": "ok"}}], "model": "gpt"}"#,
                400,
                InvalidJson,
            ),
        ),
        (
            "security/4.7",
            "security.input.agent_token_is_not_a_field",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/agents",
                Org,
                r#"{"name": "a", "capacity": 1, "token": "my-own-token-0123456789"}"#,
                400,
                InvalidJson,
            ),
        ),
        (
            "security/4.8",
            "security.input.agent_update_unknown_field",
            r(
                s4,
                "PUT",
                "/v1/orgs/{org}/agents/{agent}",
                Org,
                r#"{"name": "a", "capacity": 1, "presence": "online"}"#,
                400,
                InvalidJson,
            ),
        ),
        (
            "security/4.9",
            "security.input.inbound_unknown_field",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/channels/{ch}/inbound",
                Org,
                r#"{"address": "+2", "provider_message_id": "q1", "content": {"type": "text", "text": "hi"}, "extra": 1}"#,
                400,
                InvalidJson,
            ),
        ),
        (
            "security/4.10",
            "security.input.outbound_unknown_field",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/channels/{ch}/outbound",
                Org,
                r#"{"address": "+1", "content": {"type": "template", "name": "t", "text": "hi", "lang": "en"}}"#,
                400,
                InvalidJson,
            ),
        ),
        (
            "security/4.11",
            "security.input.consent_unknown_field",
            r(
                s4,
                "PUT",
                "/v1/orgs/{org}/channels/{ch}/users/consent",
                Org,
                r#"{"address": "+1", "consent": "explicitly_opted_in", "source": "web"}"#,
                400,
                InvalidJson,
            ),
        ),
        // Wrong types, unknown enum values, missing fields.
        (
            "security/4.12",
            "security.input.channel_kind_unknown",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/channels",
                Org,
                r#"{"name": "c", "kind": "fax", "platform": "standard", "entry": {"queue": {queue}}}"#,
                400,
                InvalidJson,
            ),
        ),
        (
            "security/4.13",
            "security.input.queue_priority_wrong_type",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/queues",
                Org,
                r#"{"name": "q", "priority": "high"}"#,
                400,
                InvalidJson,
            ),
        ),
        (
            "security/4.14",
            "security.input.agent_capacity_wrong_type",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/agents",
                Org,
                r#"{"name": "a", "capacity": "two"}"#,
                400,
                InvalidJson,
            ),
        ),
        (
            "security/4.15",
            "security.input.inbound_address_wrong_type",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/channels/{ch}/inbound",
                Org,
                r#"{"address": 7, "provider_message_id": "q1", "content": {"type": "text", "text": "hi"}}"#,
                400,
                InvalidJson,
            ),
        ),
        (
            "security/4.16",
            "security.input.consent_value_unknown",
            r(
                s4,
                "PUT",
                "/v1/orgs/{org}/channels/{ch}/users/consent",
                Org,
                r#"{"address": "+1", "consent": "maybe"}"#,
                400,
                InvalidJson,
            ),
        ),
        (
            "security/4.17",
            "security.input.intent_action_unknown",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/bots",
                Org,
                r#"{"name": "b", "greeting": "Hi", "question": "What?", "fallback_text": "Wait", "fields": [], "intents": [{"id": "i", "label": "I", "action": {"type": "escalate"}}]}"#,
                400,
                InvalidJson,
            ),
        ),
        (
            "security/4.18",
            "security.input.inbound_negative_reply_seq",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/channels/{ench}/inbound",
                Org,
                r#"{"address": "+2", "provider_message_id": "q1", "content": {"type": "component_response", "in_reply_to": -1, "answer_id": "a"}}"#,
                400,
                InvalidJson,
            ),
        ),
        (
            "security/4.19",
            "security.input.queue_missing_name",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/queues",
                Org,
                r#"{"priority": 1}"#,
                400,
                InvalidJson,
            ),
        ),
        (
            "security/4.20",
            "security.input.agent_missing_capacity",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/agents",
                Org,
                r#"{"name": "a"}"#,
                400,
                InvalidJson,
            ),
        ),
        (
            "security/4.21",
            "security.input.inbound_missing_content",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/channels/{ch}/inbound",
                Org,
                r#"{"address": "+2", "provider_message_id": "q1"}"#,
                400,
                InvalidJson,
            ),
        ),
        (
            "security/4.22",
            "security.input.not_json",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/channels/{ch}/inbound",
                Org,
                "{not json",
                400,
                InvalidJson,
            ),
        ),
        // Values out of range, blank, duplicated.
        (
            "security/4.23",
            "security.input.org_blank_name",
            r(
                s4,
                "POST",
                "/v1/orgs",
                Admin,
                r#"{"name": "  "}"#,
                422,
                InvalidInput,
            ),
        ),
        (
            "security/4.24",
            "security.input.channel_blank_name",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/channels",
                Org,
                r#"{"name": " ", "kind": "web", "platform": "standard", "entry": {"queue": {queue}}}"#,
                422,
                InvalidInput,
            ),
        ),
        (
            "security/4.25",
            "security.input.channel_zero_service_window",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/channels",
                Org,
                r#"{"name": "c", "kind": "whatsapp", "platform": "standard", "entry": {"queue": {queue}}, "service_window_ms": 0}"#,
                422,
                InvalidInput,
            ),
        ),
        (
            "security/4.26",
            "security.input.inactivity_on_a_standard_channel",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/channels",
                Org,
                r#"{"name": "c", "kind": "web", "platform": "standard", "entry": {"queue": {queue}}, "inactivity_timeout_ms": 1000}"#,
                422,
                InvalidInput,
            ),
        ),
        (
            "security/4.27",
            "security.input.queue_zero_capacity_weight",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/queues",
                Org,
                r#"{"name": "q", "capacity_weight": 0}"#,
                422,
                InvalidInput,
            ),
        ),
        (
            "security/4.28",
            "security.input.queue_capacity_weight_over_100",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/queues",
                Org,
                r#"{"name": "q", "capacity_weight": 101}"#,
                422,
                InvalidInput,
            ),
        ),
        (
            "security/4.29",
            "security.input.queue_zero_push_timeout",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/queues",
                Org,
                r#"{"name": "q", "push_timeout_ms": 0}"#,
                422,
                InvalidInput,
            ),
        ),
        (
            "security/4.30",
            "security.input.queue_duplicate_required_skills",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/queues",
                Org,
                r#"{"name": "q", "required_skills": [{"skill": "fr"}, {"skill": "fr", "min_level": 3}]}"#,
                422,
                InvalidInput,
            ),
        ),
        (
            "security/4.31",
            "security.input.queue_skill_level_over_10",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/queues",
                Org,
                r#"{"name": "q", "required_skills": [{"skill": "fr", "min_level": 11}]}"#,
                422,
                InvalidInput,
            ),
        ),
        (
            "security/4.32",
            "security.input.bot_without_intents",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/bots",
                Org,
                r#"{"name": "b", "greeting": "Hi", "question": "What?", "fallback_text": "Wait", "fields": [], "intents": []}"#,
                422,
                InvalidInput,
            ),
        ),
        (
            "security/4.33",
            "security.input.bot_blank_greeting",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/bots",
                Org,
                r#"{"name": "b", "greeting": "", "question": "What?", "fallback_text": "Wait", "fields": [], "intents": [{"id": "i", "label": "I", "action": {"type": "resolve", "reply": "ok"}}]}"#,
                422,
                InvalidInput,
            ),
        ),
        (
            "security/4.34",
            "security.input.agent_zero_capacity",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/agents",
                Org,
                r#"{"name": "a", "capacity": 0}"#,
                422,
                InvalidInput,
            ),
        ),
        (
            "security/4.35",
            "security.input.agent_capacity_over_100",
            r(
                s4,
                "PUT",
                "/v1/orgs/{org}/agents/{agent}",
                Org,
                r#"{"name": "a", "capacity": 101}"#,
                422,
                InvalidInput,
            ),
        ),
        (
            "security/4.36",
            "security.input.agent_skill_level_zero",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/agents",
                Org,
                r#"{"name": "a", "capacity": 1, "skills": {"fr": 0}}"#,
                422,
                InvalidInput,
            ),
        ),
        (
            "security/4.37",
            "security.input.agent_name_over_256_bytes",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/agents",
                Org,
                r#"{"name": "{257}", "capacity": 1}"#,
                422,
                InvalidInput,
            ),
        ),
        (
            "security/4.38",
            "security.input.inbound_blank_text",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/channels/{ch}/inbound",
                Org,
                r#"{"address": "+2", "provider_message_id": "q1", "content": {"type": "text", "text": " \t "}}"#,
                422,
                InvalidInput,
            ),
        ),
        (
            "security/4.39",
            "security.input.inbound_text_too_long",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/channels/{ch}/inbound",
                Org,
                r#"{"address": "+2", "provider_message_id": "q1", "content": {"type": "text", "text": "{4097}"}}"#,
                422,
                TextTooLong,
            ),
        ),
        (
            "security/4.40",
            "security.input.inbound_blank_address",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/channels/{ch}/inbound",
                Org,
                r#"{"address": "", "provider_message_id": "q1", "content": {"type": "text", "text": "hi"}}"#,
                422,
                InvalidInput,
            ),
        ),
        (
            "security/4.41",
            "security.input.inbound_provider_id_over_256_bytes",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/channels/{ch}/inbound",
                Org,
                r#"{"address": "+2", "provider_message_id": "{257}", "content": {"type": "text", "text": "hi"}}"#,
                422,
                InvalidInput,
            ),
        ),
        (
            "security/4.42",
            "security.input.body_over_64_kib",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/channels/{ch}/inbound",
                Org,
                r#"{"address": "+2", "provider_message_id": "q1", "content": {"type": "text", "text": "{70k}"}}"#,
                413,
                PayloadTooLarge,
            ),
        ),
        (
            "security/4.43",
            "security.input.channel_entry_names_nothing",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/channels",
                Org,
                r#"{"name": "c", "kind": "web", "platform": "standard", "entry": {"queue": 999999999}}"#,
                404,
                NotFound,
            ),
        ),
        (
            "security/4.44",
            "security.input.handoff_queue_names_nothing",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/bots",
                Org,
                r#"{"name": "b", "greeting": "Hi", "question": "What?", "fallback_text": "Wait", "fields": [], "intents": [{"id": "i", "label": "I", "action": {"type": "handoff", "queue": 999999999, "required_skills": []}}]}"#,
                404,
                NotFound,
            ),
        ),
        // Precedence: the first check a request fails decides its answer.
        (
            "errors/1.1",
            "errors.route_before_caller",
            r(
                s4,
                "GET",
                "/v1/orgs/{org}/nowhere",
                Nobody,
                "",
                404,
                RouteNotFound,
            ),
        ),
        (
            "errors/1.2",
            "errors.method_before_caller",
            r(
                s4,
                "DELETE",
                "/v1/orgs/{org}/channels/{ch}",
                Nobody,
                "",
                405,
                MethodNotAllowed,
            ),
        ),
        (
            "errors/1.3",
            "errors.caller_before_shape",
            r(
                s1,
                "POST",
                "/v1/orgs/{org}/queues",
                Nobody,
                "{not json",
                401,
                Unauthorized,
            ),
        ),
        (
            "errors/1.4",
            "errors.caller_before_size",
            r(
                s1,
                "POST",
                "/v1/orgs/{org}/channels/{ch}/inbound",
                Nobody,
                "{70k}",
                401,
                Unauthorized,
            ),
        ),
        (
            "errors/1.5",
            "errors.caller_before_path_ids",
            r(
                s1,
                "GET",
                "/v1/orgs/{org}/sessions/abc",
                Nobody,
                "",
                401,
                Unauthorized,
            ),
        ),
        (
            "errors/1.6",
            "errors.admin_token_is_not_an_org_token",
            r(
                s1,
                "GET",
                "/v1/orgs/{org}/channels",
                Admin,
                "",
                401,
                Unauthorized,
            ),
        ),
        (
            "errors/1.7",
            "errors.org_token_cannot_create_orgs",
            r(
                s1,
                "POST",
                "/v1/orgs",
                Org,
                r#"{"name": "o"}"#,
                401,
                Unauthorized,
            ),
        ),
        (
            "errors/1.8",
            "errors.agent_token_is_not_an_org_token",
            r(
                s1,
                "GET",
                "/v1/orgs/{org}/channels",
                Agent,
                "",
                401,
                Unauthorized,
            ),
        ),
        (
            "errors/1.9",
            "errors.path_id_before_shape",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/channels/abc/inbound",
                Org,
                "{not json",
                404,
                NotFound,
            ),
        ),
        (
            "errors/1.10",
            "errors.size_before_shape",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/channels/{ch}/inbound",
                Org,
                "{70k}",
                413,
                PayloadTooLarge,
            ),
        ),
        (
            "errors/1.11",
            "errors.shape_before_range",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/queues",
                Org,
                r#"{"name": "", "priority": "high"}"#,
                400,
                InvalidJson,
            ),
        ),
        (
            "errors/1.12",
            "errors.range_before_existence",
            r(
                s4,
                "POST",
                "/v1/orgs/{org}/channels",
                Org,
                r#"{"name": "c", "kind": "whatsapp", "platform": "standard", "entry": {"queue": 999999999}, "service_window_ms": 0}"#,
                422,
                InvalidInput,
            ),
        ),
        (
            "errors/1.13",
            "errors.query_before_upgrade",
            r(
                s4,
                "GET",
                "/v1/orgs/{org}/channels/{ch}/stream?after=x",
                Org,
                "",
                422,
                InvalidInput,
            ),
        ),
        (
            "errors/1.14",
            "errors.channel_stream_needs_an_upgrade",
            r(
                s4,
                "GET",
                "/v1/orgs/{org}/channels/{ch}/stream",
                Org,
                "",
                426,
                UpgradeRequired,
            ),
        ),
        (
            "errors/1.15",
            "errors.customer_stream_needs_an_upgrade",
            r(
                s4,
                "GET",
                "/v1/orgs/{org}/channels/{ch}/users/stream?address=%2B1",
                Org,
                "",
                426,
                UpgradeRequired,
            ),
        ),
        (
            "errors/1.16",
            "errors.agent_socket_needs_an_upgrade",
            r(s4, "GET", "/v1/agent", Agent, "", 426, UpgradeRequired),
        ),
        (
            "errors/1.17",
            "errors.agent_socket_caller_before_upgrade",
            r(s1, "GET", "/v1/agent", Org, "", 401, Unauthorized),
        ),
        (
            "errors/1.18",
            "errors.customer_stream_of_an_unknown_address",
            r(
                s4,
                "GET",
                "/v1/orgs/{org}/channels/{ch}/users/stream?address=nobody",
                Org,
                "",
                404,
                NotFound,
            ),
        ),
    ]
}

/// Every case, in catalog order.
pub fn catalog() -> Vec<Case> {
    let mut cases = named_cases();
    let at = cases
        .iter()
        .position(|c| c.id == "security/2.1")
        .unwrap_or(cases.len());
    let isolation = ISOLATION.iter().map(|&(id, name, reach, requires)| Case {
        id,
        name,
        rules: &["R-SEC-1"],
        requires,
        run: row(isolation::another_orgs_id_reads_as_absent, reach),
    });
    cases.splice(at..at, isolation);
    let at = cases
        .iter()
        .position(|c| c.id == "security/4.1")
        .map_or(cases.len(), |i| i + 1);
    let refusals = refusals().into_iter().map(|(id, name, bad)| Case {
        id,
        name,
        rules: if bad.rule == "R-SEC-1" {
            &["R-SEC-1", "R-SEC-4"]
        } else {
            &["R-SEC-4"]
        },
        requires: bad.requires(),
        run: row(input::refused, bad),
    });
    cases.splice(at..at, refusals);
    cases
}

/// The cases written one by one.
fn named_cases() -> Vec<Case> {
    vec![
        case!(
            "channels/1.1",
            "channels.platform_is_immutable",
            ["R-CHAN-1"],
            channels::platform_is_immutable
        ),
        case!(
            "channels/2.1",
            "channels.one_user_per_channel_and_address",
            ["R-CHAN-2"],
            channels::one_user_per_channel_and_address
        ),
        case!(
            "channels/3.1",
            "channels.components_refused_on_standard",
            ["R-CHAN-3"],
            channels::components_refused_on_standard,
            requires[Outbound]
        ),
        case!(
            "channels/3.2",
            "channels.components_render_as_the_channel_shows_them",
            ["R-CHAN-3"],
            channels::components_render_as_the_channel_shows_them,
            requires[EnhancedChannels]
        ),
        case!(
            "channels/4.1",
            "channels.component_responses_must_match_a_question",
            ["R-CHAN-4"],
            channels::component_responses_must_match_a_question,
            requires[EnhancedChannels]
        ),
        case!(
            "channels/4.2",
            "channels.links_cannot_be_answered",
            ["R-CHAN-4"],
            channels::only_offered_answers_are_accepted,
            requires[EnhancedChannels]
        ),
        case!(
            "sessions/1.1",
            "sessions.inbound_opens_then_appends",
            ["R-SESS-1"],
            sessions::inbound_opens_then_appends
        ),
        case!(
            "sessions/2.1",
            "sessions.seq_starts_at_one_and_rises_by_one",
            ["R-SESS-2"],
            sessions::seq_starts_at_one_and_rises_by_one
        ),
        case!(
            "sessions/3.1",
            "sessions.duplicate_provider_id_returns_the_original",
            ["R-SESS-3"],
            sessions::duplicate_provider_id_returns_the_original
        ),
        case!(
            "sessions/3.2",
            "sessions.client_message_ids_are_per_agent",
            ["R-SESS-3"],
            sessions::client_message_ids_are_per_agent
        ),
        case!(
            "sessions/4.1",
            "sessions.entry_sets_the_first_status",
            ["R-SESS-4"],
            sessions::entry_sets_the_first_status,
            requires[EnhancedChannels]
        ),
        case!(
            "sessions/5.1",
            "sessions.ended_is_terminal",
            ["R-SESS-5"],
            sessions::ended_is_terminal
        ),
        case!(
            "sessions/5.2",
            "sessions.ended.agent_actions_are_session_ended",
            ["R-SESS-5"],
            sessions::agent_actions_on_an_ended_session_are_session_ended
        ),
        case!(
            "sessions/6.1",
            "sessions.accepted_at_is_the_first_acceptance",
            ["R-SESS-6", "R-ROUTE-9"],
            sessions::accepted_at_is_the_first_acceptance
        ),
        case!(
            "sessions/7.1",
            "sessions.inactive_frees_the_agent_until_the_customer_writes",
            ["R-SESS-7"],
            sessions::inactive_frees_the_agent_until_the_customer_writes, requires [Inactive, EnhancedChannels]
        ),
        case!(
            "sessions/7.2",
            "sessions.inactivity.fires_at_its_timeout",
            ["R-SESS-7"],
            timers::inactivity_fires_at_its_timeout,
            requires[Inactive, EnhancedChannels, ManualClock]
        ),
        case!(
            "sessions/7.3",
            "sessions.inactivity.customer_reply_disarms",
            ["R-SESS-7"],
            sessions::a_customer_reply_disarms_inactivity,
            requires[Inactive, EnhancedChannels]
        ),
        case!(
            "sessions/7.4",
            "sessions.inactive_ttl.ends_at_its_deadline",
            ["R-SESS-7"],
            timers::inactive_ttl_ends_at_its_deadline,
            requires[Inactive, EnhancedChannels, ManualClock]
        ),
        case!(
            "sessions/8.1",
            "sessions.customer_end_cancels_offered_work",
            ["R-SESS-8"],
            sessions::customer_end_cancels_offered_work
        ),
        case!(
            "sessions/8.2",
            "sessions.customer_end_closes_accepted_work",
            ["R-SESS-8", "R-ROUTE-12"],
            sessions::customer_end_closes_accepted_work
        ),
        case!(
            "sessions/9.2",
            "sessions.customer_stream_resumes_mid_conversation",
            ["R-SESS-9", "R-SESS-2"],
            sessions::customer_stream_resumes_mid_conversation
        ),
        case!(
            "sessions/9.3",
            "sessions.channel_stream_resumes_after_a_position",
            ["R-SESS-9", "R-SESS-2"],
            sessions::channel_stream_resumes_after_a_position
        ),
        case!(
            "routing/1.1",
            "routing.skills.decide_who_is_offered",
            ["R-ROUTE-1", "R-ROUTE-12"],
            routing::required_skills_decide_who_is_offered
        ),
        case!(
            "sessions/9.1",
            "sessions.transcripts_read_back_and_resume",
            ["R-SESS-9"],
            sessions::transcripts_read_back_and_resume
        ),
        case!(
            "routing/2.1",
            "routing.capacity.never_exceeded",
            ["R-ROUTE-2", "R-ROUTE-12"],
            routing::capacity_is_never_exceeded
        ),
        case!(
            "routing/2.2",
            "routing.capacity.not_below_what_is_held",
            ["R-ROUTE-2"],
            preference::capacity_cannot_drop_below_what_is_held
        ),
        case!(
            "routing/3.1",
            "routing.order.priority_then_age",
            ["R-ROUTE-3"],
            routing::priority_then_age
        ),
        case!(
            "routing/4.1",
            "routing.models.pick_as_named",
            ["R-ROUTE-4"],
            routing::routing_models_pick_as_named
        ),
        case!(
            "routing/4.2",
            "routing.ties_go_to_the_longest_idle",
            ["R-ROUTE-4"],
            routing::ties_go_to_the_longest_idle
        ),
        case!(
            "routing/5.1",
            "routing.push_timeout.reroutes_to_other_agent",
            ["R-ROUTE-5"],
            routing::push_timeout_reroutes_to_other_agent
        ),
        case!(
            "routing/5.2",
            "routing.push_timeout.frees_capacity",
            ["R-ROUTE-5"],
            routing::push_timeout_frees_capacity
        ),
        case!(
            "routing/5.3",
            "routing.push_timeout.fires_at_its_deadline",
            ["R-ROUTE-5", "R-ROUTE-11"],
            timers::push_timeout_fires_at_its_deadline,
            requires[ManualClock]
        ),
        case!(
            "routing/5.4",
            "routing.push_timeout.counts_as_a_decline",
            ["R-ROUTE-5", "R-ROUTE-6"],
            preference::push_timeout_counts_as_a_decline
        ),
        case!(
            "routing/5.5",
            "routing.push_timeout.may_set_the_agent_busy",
            ["R-ROUTE-5"],
            preference::a_queue_sets_an_agent_who_lets_an_offer_lapse_to_busy
        ),
        case!(
            "routing/6.1",
            "routing.decline.goes_to_another_agent",
            ["R-ROUTE-6"],
            routing::declined_work_goes_to_another_agent
        ),
        case!(
            "routing/6.2",
            "routing.decline.all_declined_is_eligible_again",
            ["R-ROUTE-6"],
            routing::all_declined_is_eligible_again
        ),
        case!(
            "routing/6.3",
            "routing.decline.waits_for_a_full_agent",
            ["R-ROUTE-6"],
            preference::a_declined_session_waits_for_a_full_agent
        ),
        case!(
            "routing/7.1",
            "routing.offline.offer_becomes_unavailable",
            ["R-ROUTE-7"],
            routing::offline_agent_loses_its_offer
        ),
        case!(
            "routing/7.2",
            "routing.busy.no_new_offers",
            ["R-ROUTE-7", "R-ROUTE-12"],
            preference::busy_agents_get_no_new_offers
        ),
        case!(
            "routing/7.3",
            "routing.busy.declining_brings_nothing_new",
            ["R-ROUTE-7"],
            preference::a_busy_agent_declining_gets_nothing_new
        ),
        case!(
            "routing/10.1",
            "routing.additional_skills.dropped_in_time",
            ["R-ROUTE-10"],
            routing::additional_skills_are_dropped_in_time
        ),
        case!(
            "routing/10.2",
            "routing.additional_skills.drop_at_their_deadline",
            ["R-ROUTE-10"],
            timers::additional_skills_drop_at_their_deadline,
            requires[ManualClock]
        ),
        case!(
            "routing/11.1",
            "routing.times_are_ordered",
            ["R-ROUTE-11", "R-SESS-6"],
            routing::times_are_ordered
        ),
        case!(
            "routing/11.2",
            "routing.work_history.bounded",
            ["R-ROUTE-11"],
            timers::a_sessions_work_history_is_bounded,
            requires[ManualClock]
        ),
        case!(
            "routing/8.1",
            "routing.one_live_work_item_per_session",
            ["R-ROUTE-8"],
            routing::one_live_work_item_per_session
        ),
        case!(
            "routing/9.1",
            "routing.transfer.carries_context",
            ["R-ROUTE-9"],
            routing::transfer_carries_context
        ),
        case!(
            "routing/9.2",
            "routing.transfer.transferrer_is_tried_last",
            ["R-ROUTE-9"],
            preference::transferrer_is_tried_last
        ),
        case!(
            "routing/12.1",
            "routing.capacity_raise_routes_waiting_work",
            ["R-ROUTE-12"],
            preference::more_capacity_routes_waiting_work
        ),
        case!(
            "bots/1.1",
            "bots.intent_question_fits_the_channel",
            ["R-BOT-1"],
            bots::intent_question_fits_the_channel,
            requires[EnhancedChannels]
        ),
        case!(
            "bots/1.2",
            "bots.unknown_answer_gets_sorry_and_the_question",
            ["R-BOT-1"],
            bots::an_unknown_answer_gets_sorry_and_the_question_again
        ),
        case!(
            "bots/2.1",
            "bots.fields_collected_in_order_and_trimmed",
            ["R-BOT-2"],
            bots::fields_are_collected_in_order_and_trimmed
        ),
        case!(
            "bots/2.2",
            "bots.asking_for_a_human_skips_the_fields",
            ["R-BOT-2"],
            bots::asking_for_a_human_skips_the_fields
        ),
        case!(
            "bots/4.1",
            "bots.resolve_ends_without_work",
            ["R-BOT-4"],
            bots::resolve_ends_without_work
        ),
        case!(
            "bots/3.1",
            "bots.handoff_without_agents_falls_back_and_waits",
            ["R-BOT-2", "R-BOT-3"],
            bots::handoff_without_agents_falls_back_and_waits
        ),
        case!(
            "outbound/1.1",
            "outbound.agent_outbound_waits_for_the_reply",
            ["R-OUT-1"],
            outbound::agent_outbound_waits_for_the_reply,
            requires[Outbound]
        ),
        case!(
            "outbound/2.1",
            "outbound.needs_consent",
            ["R-OUT-2"],
            outbound::outbound_needs_consent, requires [Outbound, EnhancedChannels]
        ),
        case!(
            "outbound/3.1",
            "outbound.stop_opts_out_and_start_opts_back_in",
            ["R-OUT-2", "R-OUT-3"],
            outbound::stop_opts_out_and_start_opts_back_in,
            requires[Outbound]
        ),
        case!(
            "outbound/3.2",
            "outbound.start_from_a_subscribed_user_is_a_message",
            ["R-OUT-3"],
            outbound::start_from_a_subscribed_user_is_an_ordinary_message,
            requires[Outbound]
        ),
        case!(
            "outbound/4.1",
            "outbound.service_window_limits_free_form",
            ["R-OUT-4"],
            outbound::service_window_limits_free_form, requires [Outbound, EnhancedChannels]
        ),
        case!("outbound/4.2", "outbound.service_window.inside_and_outside", ["R-OUT-4"], outbound::service_window_inside_and_outside, requires [Outbound, EnhancedChannels]),
        case!(
            "outbound/4.3",
            "outbound.service_window.boundary_is_inclusive",
            ["R-OUT-4"],
            timers::service_window_boundary_is_inclusive,
            requires[Outbound, EnhancedChannels, ManualClock]
        ),
        case!(
            "outbound/5.1",
            "outbound.to_another_agents_customer_is_refused",
            ["R-OUT-5"],
            outbound::outbound_to_another_agents_customer_is_refused,
            requires[Outbound]
        ),
        case!(
            "outbound/5.2",
            "outbound.triggered_to_an_open_session_is_in_progress",
            ["R-OUT-5"],
            outbound::triggered_outbound_to_an_open_session_is_refused,
            requires[Outbound]
        ),
        case!(
            "security/1.1",
            "security.tokens_and_org_isolation",
            ["R-SEC-1"],
            security::tokens_and_org_isolation
        ),
        case!(
            "security/2.1",
            "security.agents_act_only_on_their_sessions",
            ["R-SEC-2"],
            security::agents_act_only_on_their_sessions
        ),
        case!(
            "security/3.1",
            "security.streams_carry_only_their_party",
            ["R-SEC-3"],
            security::streams_carry_only_their_party
        ),
        case!(
            "security/4.1",
            "security.malformed_input_is_refused",
            ["R-SEC-4"],
            security::malformed_input_is_refused
        ),
        case!(
            "security/4.45",
            "security.input.bodies_are_json",
            ["R-SEC-4"],
            security::bodies_are_json_or_refused
        ),
        case!(
            "sockets/1.1",
            "sockets.agent.newer_connection_replaces_the_older",
            ["R-SESS-9"],
            sockets::a_newer_connection_replaces_the_older
        ),
        case!(
            "sockets/1.2",
            "sockets.agent.bad_frame_gets_an_error_reply",
            ["R-SEC-4"],
            sockets::a_bad_frame_gets_an_error_reply
        ),
        case!(
            "sockets/1.3",
            "sockets.agent.closing_keeps_presence_and_work",
            ["R-SESS-9", "R-ROUTE-7"],
            sockets::closing_the_socket_keeps_presence_and_work
        ),
        case!(
            "reads/1.1",
            "reads.queue_counts_what_waits",
            ["R-ROUTE-3", "R-SESS-9"],
            reads::a_queue_counts_what_waits
        ),
        case!(
            "reads/1.2",
            "reads.agent_reads_back_with_its_load",
            ["R-ROUTE-2", "R-SESS-9"],
            reads::an_agent_reads_back_with_its_load
        ),
        case!(
            "reads/1.3",
            "reads.work_items_read_back",
            ["R-ROUTE-11", "R-SESS-9"],
            reads::work_items_read_back
        ),
        case!(
            "reads/1.4",
            "reads.messages_after_a_seq_and_sessions_in_order",
            ["R-SESS-9"],
            reads::messages_after_a_seq_and_sessions_in_order
        ),
        case!(
            "reads/1.5",
            "reads.user_by_id_and_address",
            ["R-CHAN-2", "R-SESS-9"],
            reads::a_user_reads_back_by_id_and_address
        ),
        case!(
            "reads/1.6",
            "reads.channels_and_bots_as_created",
            ["R-CHAN-1", "R-BOT-1", "R-SESS-9"],
            reads::channels_and_bots_read_back_as_created
        ),
        case!(
            "ops/1.1",
            "ops.health_and_capabilities_need_no_token",
            ["R-SEC-1"],
            reads::operations_answer_without_a_token
        ),
        case!(
            "ops/1.2",
            "ops.metrics_count_push_timeouts",
            ["R-ROUTE-5"],
            reads::metrics_count_push_timeouts
        ),
        case!(
            "ops/1.3",
            "ops.metrics_show_depth_presence_and_status",
            ["R-ROUTE-1"],
            reads::metrics_show_depth_presence_and_status
        ),
    ]
}
