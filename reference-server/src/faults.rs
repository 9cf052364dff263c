//! Fault switches: bugs a real implementation could have, compiled into the reference server and
//! off by default, so that the conformance suite can prove it catches them (`omnisim serve
//! --fault NAME`, `--list-faults`). Each names the rule it breaks.

use std::fmt;

/// One deliberate bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// R-ROUTE-2: free capacity counted one unit too high.
    CapacityOffByOne,
    /// R-ROUTE-6: a declined session may be offered to the same agent again.
    DeclineReoffered,
    /// R-ROUTE-5: a push timeout does not free the agent's capacity.
    PushTimeoutKeepsCapacity,
    /// R-SESS-3: a repeated provider_message_id is stored again.
    DuplicateInboundStored,
    /// R-SESS-2: every message after the first skips a seq.
    SeqGap,
    /// R-CHAN-3: components are accepted on standard channels.
    ComponentsOnStandard,
    /// R-CHAN-1: a channel's platform can be changed.
    PlatformMutable,
    /// R-ROUTE-3: within one priority the newest request is offered first.
    FifoBroken,
    /// R-ROUTE-3: queue priority is ignored.
    PriorityIgnored,
    /// R-OUT-3: STOP is stored as a message and consent is unchanged.
    OptOutIgnored,
    /// R-ROUTE-1: required skills are not checked.
    SkillsIgnored,
    /// R-SESS-8: a customer ending a session leaves its offered work with the agent.
    CancelKeepsOffer,
    /// R-ROUTE-7: an agent going offline keeps its offers.
    OfflineKeepsOffers,
    /// R-SEC-2: any agent may send to any session.
    AgentSendUnchecked,
    /// R-BOT-3: no fallback text at a handoff with no agent online.
    NoFallback,
    /// R-ROUTE-9: a transfer does not say where the session came from.
    TransferLosesContext,
}

impl Fault {
    /// Every fault, in listing order.
    pub const ALL: [Fault; 16] = [
        Fault::CapacityOffByOne,
        Fault::DeclineReoffered,
        Fault::PushTimeoutKeepsCapacity,
        Fault::DuplicateInboundStored,
        Fault::SeqGap,
        Fault::ComponentsOnStandard,
        Fault::PlatformMutable,
        Fault::FifoBroken,
        Fault::PriorityIgnored,
        Fault::OptOutIgnored,
        Fault::SkillsIgnored,
        Fault::CancelKeepsOffer,
        Fault::OfflineKeepsOffers,
        Fault::AgentSendUnchecked,
        Fault::NoFallback,
        Fault::TransferLosesContext,
    ];

    /// The name `--fault` takes.
    pub fn name(self) -> &'static str {
        match self {
            Fault::CapacityOffByOne => "capacity_off_by_one",
            Fault::DeclineReoffered => "decline_reoffered",
            Fault::PushTimeoutKeepsCapacity => "push_timeout_keeps_capacity",
            Fault::DuplicateInboundStored => "duplicate_inbound_stored",
            Fault::SeqGap => "seq_gap",
            Fault::ComponentsOnStandard => "components_on_standard",
            Fault::PlatformMutable => "platform_mutable",
            Fault::FifoBroken => "fifo_broken",
            Fault::PriorityIgnored => "priority_ignored",
            Fault::OptOutIgnored => "opt_out_ignored",
            Fault::SkillsIgnored => "skills_ignored",
            Fault::CancelKeepsOffer => "cancel_keeps_offer",
            Fault::OfflineKeepsOffers => "offline_keeps_offers",
            Fault::AgentSendUnchecked => "agent_send_unchecked",
            Fault::NoFallback => "no_fallback",
            Fault::TransferLosesContext => "transfer_loses_context",
        }
    }

    /// The rule the fault breaks.
    pub fn rule(self) -> &'static str {
        match self {
            Fault::CapacityOffByOne => "R-ROUTE-2",
            Fault::DeclineReoffered => "R-ROUTE-6",
            Fault::PushTimeoutKeepsCapacity => "R-ROUTE-5",
            Fault::DuplicateInboundStored => "R-SESS-3",
            Fault::SeqGap => "R-SESS-2",
            Fault::ComponentsOnStandard => "R-CHAN-3",
            Fault::PlatformMutable => "R-CHAN-1",
            Fault::FifoBroken | Fault::PriorityIgnored => "R-ROUTE-3",
            Fault::OptOutIgnored => "R-OUT-3",
            Fault::SkillsIgnored => "R-ROUTE-1",
            Fault::CancelKeepsOffer => "R-SESS-8",
            Fault::OfflineKeepsOffers => "R-ROUTE-7",
            Fault::AgentSendUnchecked => "R-SEC-2",
            Fault::NoFallback => "R-BOT-3",
            Fault::TransferLosesContext => "R-ROUTE-9",
        }
    }

    /// The fault called `name`.
    pub fn parse(name: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.name() == name)
    }

    fn bit(self) -> u32 {
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
pub struct Faults(u32);

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
        Fault::ALL.into_iter().filter(|f| self.has(*f)).collect()
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
    fn every_fault_has_a_unique_name_that_parses_back() {
        for f in Fault::ALL {
            assert_eq!(Fault::parse(f.name()), Some(f));
            assert!(f.rule().starts_with("R-"));
        }
        let set: Faults = [Fault::SeqGap, Fault::NoFallback].into_iter().collect();
        assert_eq!(set.list(), [Fault::SeqGap, Fault::NoFallback]);
        assert!(!Faults::NONE.has(Fault::SeqGap));
    }
}
