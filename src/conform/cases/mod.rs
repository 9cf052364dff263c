//! The catalog: every case, numbered by rule area like h2spec (`routing/5.1`: area, rule 5,
//! first case), named for what it proves, tied to the rules it checks.

pub mod bots;
pub mod channels;
pub mod isolation;
pub mod outbound;
pub mod preference;
pub mod routing;
pub mod security;
pub mod sessions;
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
            "channels/4.1",
            "channels.component_responses_must_match_a_question",
            ["R-CHAN-4"],
            channels::component_responses_must_match_a_question,
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
            "bots/2.1",
            "bots.fields_collected_in_order_and_trimmed",
            ["R-BOT-2"],
            bots::fields_are_collected_in_order_and_trimmed
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
    ]
}
