//! What routing flows did with a run's sessions, as their offers show it: how many each rule
//! routed, and whether directly routed work reached its agent or fell back (docs/scenarios.md,
//! "Routing flows").

use omnisim_protocol::{RoutingContext, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Direct routing's outcomes, counted at each directly routed session's first offer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Direct {
    /// Sessions a flow routed to one agent.
    pub routed: u64,
    /// First offered to that agent.
    pub reached: u64,
    /// First offered in the fallback queue, by why they fell back first (offline, lacking skills,
    /// timed out while the agent was busy).
    pub fell_back: BTreeMap<String, u64>,
}

/// Per flow rule and for direct routing, counted at each session's first offer: a session that
/// ends before any offer (abandoned, or kept by a bot) is not counted.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FlowOutcomes {
    /// `FLOW.RULE` (`RULE` is `default` for the default target) → sessions.
    pub rules: BTreeMap<String, u64>,
    /// Flow errors (protocol.md R-FLOW-5), by kind.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: BTreeMap<String, u64>,
    pub direct: Direct,
}

fn name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl FlowOutcomes {
    /// Nothing was routed by a flow.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Counts the first offer of a session routed by flow `flow` with `context`, its work
    /// requested at `requested_at`; returns how long directly routed work waited before it fell
    /// back, if it did.
    pub fn first_offer(
        &mut self,
        flow: &str,
        context: &RoutingContext,
        requested_at: Timestamp,
    ) -> Option<Duration> {
        let rule = context.flow_rule.as_deref()?;
        *self.rules.entry(format!("{flow}.{rule}")).or_default() += 1;
        if let Some(error) = context.flow_error {
            *self.errors.entry(name(&error)).or_default() += 1;
        }
        context.direct_agent?;
        self.direct.routed += 1;
        match context.fallback {
            None => {
                self.direct.reached += 1;
                None
            }
            Some(f) => {
                *self.direct.fell_back.entry(name(&f.reason)).or_default() += 1;
                Some(Duration::from_millis((f.at - requested_at).0))
            }
        }
    }

    /// The share of directly routed sessions first offered to their agent.
    pub fn direct_reached(&self) -> Option<f64> {
        (self.direct.routed > 0).then(|| self.direct.reached as f64 / self.direct.routed as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use omnisim_protocol::{AgentId, DirectFallback, FallbackReason, FlowId};

    #[test]
    fn rules_and_direct_outcomes_are_counted_with_the_wait_before_a_fallback() {
        let mut f = FlowOutcomes::default();
        let routed = |rule: &str| RoutingContext {
            flow: Some(FlowId(1)),
            flow_rule: Some(rule.into()),
            ..RoutingContext::default()
        };
        assert_eq!(
            f.first_offer("front", &routed("default"), Timestamp(0)),
            None
        );
        let mut direct = routed("vip");
        direct.direct_agent = Some(AgentId(7));
        assert_eq!(f.first_offer("front", &direct, Timestamp(0)), None);
        direct.fallback = Some(DirectFallback {
            agent: AgentId(7),
            reason: FallbackReason::Timeout,
            at: Timestamp(61_000),
        });
        let wait = f.first_offer("front", &direct, Timestamp(1_000));
        assert_eq!(wait, Some(Duration::from_secs(60)));
        assert_eq!(f.rules["front.vip"], 2);
        assert_eq!(f.rules["front.default"], 1);
        assert_eq!((f.direct.routed, f.direct.reached), (2, 1));
        assert_eq!(f.direct.fell_back["timeout"], 1);
        assert_eq!(f.direct_reached(), Some(0.5));
        assert_eq!(
            f.first_offer("front", &RoutingContext::default(), Timestamp(0)),
            None
        );
        assert_eq!(f.rules.values().sum::<u64>(), 3, "no flow, not counted");
    }
}
