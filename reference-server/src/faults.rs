//! Fault switches: bugs a real implementation could have, compiled into the reference server and
//! off by default, so that the conformance suite can prove it catches them (`omnisim serve
//! --fault NAME`, `--list-faults`). Each is a one-line slip and names the rule it breaks.

use std::fmt;

/// Declares the faults once: the enum, the names `--fault` takes and the rules they break.
macro_rules! faults {
    ($($(#[doc = $doc:literal])+ $variant:ident = $name:literal breaks $rule:literal;)+) => {
        /// One deliberate bug.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Fault {
            $($(#[doc = $doc])+ $variant,)+
        }

        impl Fault {
            /// Every fault, in listing order.
            pub const ALL: &'static [Fault] = &[$(Fault::$variant),+];

            /// The name `--fault` takes.
            pub fn name(self) -> &'static str {
                match self {
                    $(Fault::$variant => $name,)+
                }
            }

            /// The rule the fault breaks.
            pub fn rule(self) -> &'static str {
                match self {
                    $(Fault::$variant => $rule,)+
                }
            }
        }
    };
}

faults! {
    /// Free capacity counted one unit too high.
    CapacityOffByOne = "capacity_off_by_one" breaks "R-ROUTE-2";
    /// Lowering an agent's capacity below what it holds is accepted.
    CapacityBelowUsed = "capacity_below_used" breaks "R-ROUTE-2";
    /// A declined session may be offered to the same agent again.
    DeclineReoffered = "decline_reoffered" breaks "R-ROUTE-6";
    /// A push timeout does not free the agent's capacity.
    PushTimeoutKeepsCapacity = "push_timeout_keeps_capacity" breaks "R-ROUTE-5";
    /// An offer times out one millisecond before its push timeout.
    PushTimeoutEarly = "push_timeout_early" breaks "R-ROUTE-5";
    /// An agent who let an offer time out is not tried last, as a decliner would be.
    PushTimeoutNotADecline = "push_timeout_not_a_decline" breaks "R-ROUTE-5";
    /// A queue's push_timeout_presence is not applied when its offer times out.
    PushTimeoutPresenceIgnored = "push_timeout_presence_ignored" breaks "R-ROUTE-5";
    /// A repeated provider_message_id is stored again.
    DuplicateInboundStored = "duplicate_inbound_stored" breaks "R-SESS-3";
    /// Every message after the first skips a seq.
    SeqGap = "seq_gap" breaks "R-SESS-2";
    /// A customer stream resumed after (session, seq) skips the next message.
    ResumeSkipsOne = "resume_skips_one" breaks "R-SESS-9";
    /// A channel stream resumed after a position replays that position's message again.
    ChannelReplayRepeats = "channel_replay_repeats" breaks "R-SESS-9";
    /// A component on an enhanced SMS channel is delivered structured, not as text.
    SmsStructured = "sms_structured" breaks "R-CHAN-3";
    /// A component response is stored whatever it answers.
    ComponentResponsesUnchecked = "component_responses_unchecked" breaks "R-CHAN-4";
    /// A reconnecting agent's hello lists none of the work it holds.
    HelloWithoutWork = "hello_without_work" breaks "R-SESS-9";
    /// An agent's repeated client_message_id is stored again.
    DuplicateSendStored = "duplicate_send_stored" breaks "R-SESS-3";
    /// A bot asks its question again without saying it did not understand.
    NoApology = "no_apology" breaks "R-BOT-1";
    /// A bot does not hand a customer asking for a human to its agent queue.
    AgentWordsIgnored = "agent_words_ignored" breaks "R-BOT-2";
    /// Components are accepted on standard channels.
    ComponentsOnStandard = "components_on_standard" breaks "R-CHAN-3";
    /// A channel's platform can be changed.
    PlatformMutable = "platform_mutable" breaks "R-CHAN-1";
    /// Within one priority the newest request is offered first.
    FifoBroken = "fifo_broken" breaks "R-ROUTE-3";
    /// Queue priority is ignored.
    PriorityIgnored = "priority_ignored" breaks "R-ROUTE-3";
    /// Agents are ranked without their last assignment time: ties go to the lowest id.
    TiesIgnoreIdleTime = "ties_ignore_idle_time" breaks "R-ROUTE-4";
    /// STOP is stored as a message and consent is unchanged.
    OptOutIgnored = "opt_out_ignored" breaks "R-OUT-3";
    /// START opts in any user, not only one who opted out.
    StartFromAnyone = "start_from_anyone" breaks "R-OUT-3";
    /// Required skills are not checked.
    SkillsIgnored = "skills_ignored" breaks "R-ROUTE-1";
    /// Additional skills are dropped one millisecond after their time.
    SkillDropLate = "skill_drop_late" breaks "R-ROUTE-10";
    /// A customer ending a session leaves its offered work with the agent.
    CancelKeepsOffer = "cancel_keeps_offer" breaks "R-SESS-8";
    /// An agent going offline keeps its offers.
    OfflineKeepsOffers = "offline_keeps_offers" breaks "R-ROUTE-7";
    /// Busy agents are offered work.
    BusyGetsOffers = "busy_gets_offers" breaks "R-ROUTE-7";
    /// Raising an agent's capacity does not route the work waiting for it.
    CapacityRaiseNotRouted = "capacity_raise_not_routed" breaks "R-ROUTE-12";
    /// Any agent may send to any session.
    AgentSendUnchecked = "agent_send_unchecked" breaks "R-SEC-2";
    /// Another org's session reads back through the transcript route.
    OtherOrgSessionReadable = "other_org_session_readable" breaks "R-SEC-1";
    /// An agent acting on an ended session is told forbidden, not session_ended.
    EndedReadsAsForbidden = "ended_reads_as_forbidden" breaks "R-SESS-5";
    /// No fallback text at a handoff with no agent online.
    NoFallback = "no_fallback" breaks "R-BOT-3";
    /// A bot keeps the spaces around a field's value.
    BotFieldsUntrimmed = "bot_fields_untrimmed" breaks "R-BOT-2";
    /// A transfer does not say where the session came from.
    TransferLosesContext = "transfer_loses_context" breaks "R-ROUTE-9";
    /// The transferring agent is not tried last.
    TransferrerNotLast = "transferrer_not_last" breaks "R-ROUTE-9";
    /// A free-form message exactly service_window_ms after the last inbound is refused.
    ServiceWindowClosesEarly = "service_window_closes_early" breaks "R-OUT-4";
    /// The service window is not enforced.
    ServiceWindowIgnored = "service_window_ignored" breaks "R-OUT-4";
    /// The inactivity timeout fires one millisecond early.
    InactivityEarly = "inactivity_early" breaks "R-SESS-7";
    /// A customer message does not disarm the inactivity timeout.
    InactivityNotDisarmed = "inactivity_not_disarmed" breaks "R-SESS-7";
    /// An inactive session ends one millisecond after its TTL.
    InactiveTtlLate = "inactive_ttl_late" breaks "R-SESS-7";
    /// A session's accepted_at moves when a later work item is accepted.
    AcceptedAtMoves = "accepted_at_moves" breaks "R-SESS-6";
    /// `work_offered.session` goes out as the session's id instead of the Session object: the
    /// wire itself broken, which no rule names.
    OfferSessionAsId = "offer_session_as_id" breaks "wire";
    /// Outbound goes to any user on record but an opted-out one, whatever the channel's consent
    /// level.
    ConsentLevelIgnored = "consent_level_ignored" breaks "R-OUT-2";
    /// A flow's last matching rule decides instead of its first.
    FlowLastMatchWins = "flow_last_match_wins" breaks "R-FLOW-1";
    /// A time-of-day window that wraps past midnight never holds.
    TimeWindowNoWrap = "time_window_no_wrap" breaks "R-FLOW-2";
    /// A flow queue target's priority override is ignored.
    FlowPriorityIgnored = "flow_priority_ignored" breaks "R-FLOW-3";
    /// Work routed to one agent waits in its fallback queue from the start, open to every agent.
    DirectToAnyone = "direct_to_anyone" breaks "R-FLOW-4";
    /// Direct routing's fallback puts the work in line with the time it fell back, not its request
    /// time.
    DirectFallbackResetsAge = "direct_fallback_resets_age" breaks "R-FLOW-4";
    /// A flow's bot target reached from a bot handoff starts that bot.
    FlowBotFromHandoff = "flow_bot_from_handoff" breaks "R-FLOW-5";
    /// Pre-chat fields are accepted on every channel.
    PrechatFieldsAnyChannel = "prechat_fields_any_channel" breaks "R-FLOW-6";
    /// A pre-chat field keeps its value when the bot collects one of the same name.
    PrechatOverridesBot = "prechat_overrides_bot" breaks "R-FLOW-6";
    /// Secondary priority is ignored: work within one priority goes oldest first.
    SecondaryPriorityIgnored = "secondary_priority_ignored" breaks "R-FLOW-7";
    /// An ended session is forgotten one millisecond before its retention is over.
    RetentionEarly = "retention_early" breaks "R-SESS-10";
}

impl Fault {
    /// The fault called `name`.
    pub fn parse(name: &str) -> Option<Fault> {
        Fault::ALL.iter().copied().find(|f| f.name() == name)
    }

    fn bit(self) -> u64 {
        1 << (self as u32)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The faults switched on; none by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Faults(u64);

impl Faults {
    /// No fault: the faithful reference server.
    pub const NONE: Faults = Faults(0);

    pub fn with(self, fault: Fault) -> Faults {
        Faults(self.0 | fault.bit())
    }

    pub fn has(self, fault: Fault) -> bool {
        self.0 & fault.bit() != 0
    }

    /// The faults switched on.
    pub fn list(self) -> Vec<Fault> {
        Fault::ALL
            .iter()
            .copied()
            .filter(|f| self.has(*f))
            .collect()
    }
}

impl FromIterator<Fault> for Faults {
    fn from_iter<I: IntoIterator<Item = Fault>>(iter: I) -> Faults {
        iter.into_iter().fold(Faults::NONE, Faults::with)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_has_a_unique_name_that_parses_back_and_a_bit_of_its_own() {
        assert!(Fault::ALL.len() <= 64, "Faults is a 64-bit set");
        for f in Fault::ALL.iter().copied() {
            assert_eq!(Fault::parse(f.name()), Some(f));
            assert!(f.rule().starts_with("R-") || f.rule() == "wire");
            assert_eq!(Faults::NONE.with(f).list(), [f]);
        }
        let set: Faults = [Fault::SeqGap, Fault::NoFallback].into_iter().collect();
        assert_eq!(set.list(), [Fault::SeqGap, Fault::NoFallback]);
        assert!(!Faults::NONE.has(Fault::SeqGap));
    }
}
