//! The JSON shapes of the v1 protocol, as docs/protocol.md specifies them.

use omnisim_protocol::*;
use serde_json::{from_str, json, to_value};

#[test]
fn inbound_request_shape() {
    let req: InboundRequest = from_str(
        r#"{"address":"+15550001","provider_message_id":"SM1","content":{"type":"text","text":"hi"}}"#,
    )
    .unwrap();
    assert_eq!(req.content, InboundContent::Text { text: "hi".into() });
    let end: InboundRequest =
        from_str(r#"{"address":"a","provider_message_id":"p","content":{"type":"end"}}"#).unwrap();
    assert_eq!(end.content, InboundContent::End);
    let answer: InboundContent =
        from_str(r#"{"type":"component_response","in_reply_to":3,"answer_id":"billing"}"#).unwrap();
    assert_eq!(
        answer,
        InboundContent::ComponentResponse {
            in_reply_to: Seq(3),
            answer_id: "billing".into()
        }
    );
}

#[test]
fn r_sec_4_unknown_enum_values_wrong_types_and_unknown_fields_are_rejected() {
    let bad = [
        r#"{"address":"a","provider_message_id":"p","content":{"type":"shout","text":"hi"}}"#,
        r#"{"address":1,"provider_message_id":"p","content":{"type":"text","text":"hi"}}"#,
        r#"{"address":"a","provider_message_id":"p","content":{"type":"text","text":"hi"},"x":1}"#,
        r#"{"address":"a","content":{"type":"text","text":"hi"}}"#,
        r#"{"address":"a","provider_message_id":"p","content":{"type":"text","text":"hi","extra":true}}"#,
        r#"not json"#,
    ];
    for body in bad {
        assert!(from_str::<InboundRequest>(body).is_err(), "accepted {body}");
    }
    assert!(
        from_str::<ChannelSpec>(
            r#"{"name":"c","kind":"fax","platform":"standard","entry":{"queue":1}}"#
        )
        .is_err()
    );
    assert!(from_str::<AgentRequest>(r#"{"type":"set_presence","presence":"sleeping"}"#).is_err());
    assert!(from_str::<AgentRequest>(r#"{"type":"accept","work":-1}"#).is_err());
}

#[test]
fn channel_spec_defaults_and_entry_shape() {
    let spec: ChannelSpec =
        from_str(r#"{"name":"wa","kind":"whatsapp","platform":"enhanced","entry":{"bot":7}}"#)
            .unwrap();
    assert_eq!(spec.entry, Entry::Bot(BotId(7)));
    assert_eq!(spec.consent_level, ConsentLevel::Implicit);
    assert_eq!(spec.service_window_ms, None);
}

#[test]
fn queue_spec_defaults() {
    let spec: QueueSpec = from_str(r#"{"name":"support"}"#).unwrap();
    assert_eq!(spec.priority, 1);
    assert_eq!(spec.routing_model, RoutingModel::LeastActive);
    assert_eq!(spec.push_timeout_ms, Millis(30_000));
    assert_eq!(spec.capacity_weight, 1);
    let skill: SkillRequirement = from_str(r#"{"skill":"french"}"#).unwrap();
    assert_eq!(skill.min_level, 1);
}

#[test]
fn agent_requests_are_tagged_by_type() {
    let send = AgentRequest::Send {
        session: SessionId(5),
        client_message_id: "c1".into(),
        content: OutboundContent::Component {
            component: Component::EnhancedLink {
                text: "Track".into(),
                url: "https://x.test".into(),
            },
        },
    };
    assert_eq!(
        to_value(&send).unwrap(),
        json!({"type":"send","session":5,"client_message_id":"c1",
               "content":{"type":"component","component":{"type":"enhanced_link","text":"Track","url":"https://x.test"}}})
    );
    let transfer: AgentRequest =
        from_str(r#"{"type":"transfer","session":5,"to":{"queue":2}}"#).unwrap();
    assert_eq!(
        transfer,
        AgentRequest::Transfer {
            session: SessionId(5),
            to: TransferTarget::Queue(QueueId(2))
        }
    );
}

#[test]
fn errors_carry_code_and_message_with_their_status() {
    let e = ApiError::new(ErrorCode::SessionEnded, "session:4 has ended");
    assert_eq!(
        to_value(&e).unwrap(),
        json!({"code":"session_ended","message":"session:4 has ended"})
    );
    assert_eq!(ErrorCode::SessionEnded.http_status(), 409);
    assert_eq!(ErrorCode::ConsentRequired.http_status(), 403);
    assert_eq!(ErrorCode::ComponentsUnsupported.http_status(), 422);
    assert_eq!(ErrorCode::Unauthorized.http_status(), 401);
    assert_eq!(ErrorCode::NotFound.http_status(), 404);
    assert_eq!(ErrorCode::PayloadTooLarge.http_status(), 413);
    // as_str agrees with the serde spelling for every code.
    for code in [
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::InvalidJson,
        ErrorCode::PayloadTooLarge,
        ErrorCode::InvalidInput,
        ErrorCode::TextTooLong,
        ErrorCode::ChannelTypeImmutable,
        ErrorCode::ComponentsUnsupported,
        ErrorCode::InvalidComponentResponse,
        ErrorCode::SessionEnded,
        ErrorCode::InactiveUnsupported,
        ErrorCode::ConsentRequired,
        ErrorCode::OutsideServiceWindow,
        ErrorCode::SessionOwnedByOtherAgent,
        ErrorCode::SessionInProgress,
        ErrorCode::TransferToBotRejected,
        ErrorCode::WorkNotOffered,
        ErrorCode::InvalidState,
        ErrorCode::RouteNotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::UpgradeRequired,
        ErrorCode::Internal,
    ] {
        assert_eq!(to_value(code).unwrap(), json!(code.as_str()));
        assert!((400..600).contains(&code.http_status()));
    }
}

#[test]
fn events_name_their_audiences() {
    let msg = Event::Message {
        org: OrgId(1),
        channel: ChannelId(2),
        user: UserId(3),
        agent: Some(AgentId(4)),
        message: std::sync::Arc::new(Message {
            session: SessionId(5),
            seq: Seq(1),
            channel_seq: 1,
            sender: Sender::EndUser,
            agent: None,
            body: MessageBody::Text { text: "hi".into() },
            at: Timestamp(0),
            rendered_as: None,
            rendered_text: None,
            provider_message_id: None,
            client_message_id: None,
        }),
    };
    let audiences: Vec<Audience> = msg.audiences().collect();
    assert_eq!(
        audiences,
        vec![
            Audience::Org(OrgId(1)),
            Audience::Channel(ChannelId(2)),
            Audience::User(UserId(3)),
            Audience::Agent(AgentId(4))
        ]
    );
    assert_eq!(to_value(&msg).unwrap()["type"], json!("message"));
}

#[test]
fn consent_levels() {
    use Consent::*;
    assert!(ImplicitlyOptedIn.allows(ConsentLevel::Implicit));
    assert!(!ImplicitlyOptedIn.allows(ConsentLevel::Explicit));
    assert!(ExplicitlyOptedIn.allows(ConsentLevel::Explicit));
    assert!(!ExplicitlyOptedIn.allows(ConsentLevel::Double));
    assert!(DoublyOptedIn.allows(ConsentLevel::Double));
    assert!(!OptedOut.allows(ConsentLevel::Implicit));
}

/// Every kind of event (and of message body), written as the server writes it (`type` first),
/// with `type` last, and with its optional fields there or not, reads back as itself.
#[test]
fn events_are_read_whatever_the_place_of_their_type() {
    let message = |agent: Option<AgentId>, body: MessageBody| Event::Message {
        org: OrgId(1),
        channel: ChannelId(2),
        user: UserId(3),
        agent,
        message: std::sync::Arc::new(Message {
            session: SessionId(5),
            seq: Seq(2),
            channel_seq: 9,
            sender: Sender::Agent,
            agent,
            body,
            at: Timestamp(77),
            rendered_as: Some(RenderedAs::Structured),
            rendered_text: Some("1. Yes".into()),
            provider_message_id: Some("p-1".into()),
            client_message_id: None,
        }),
    };
    let changed = |agent, ended_by| Event::SessionChanged {
        org: OrgId(1),
        channel: ChannelId(2),
        user: UserId(3),
        session: SessionId(5),
        status: SessionStatus::Ended,
        handler: Handler::BotToAgent,
        agent,
        ended_by,
    };
    let events = [
        message(
            None,
            MessageBody::Text {
                text: "hi \"you\"".into(),
            },
        ),
        message(
            Some(AgentId(4)),
            MessageBody::Template {
                name: "renewal".into(),
                text: "Your plan renews".into(),
            },
        ),
        message(
            None,
            MessageBody::Component {
                component: std::sync::Arc::new(Component::EnhancedLink {
                    text: "Pay".into(),
                    url: "https://example.com/pay".into(),
                }),
            },
        ),
        message(
            None,
            MessageBody::ComponentResponse {
                in_reply_to: Seq(1),
                answer_id: "yes".into(),
            },
        ),
        changed(None, None),
        changed(Some(AgentId(4)), Some(EndedBy::Agent)),
        Event::OfferRescinded {
            org: OrgId(1),
            agent: AgentId(4),
            work: WorkId(6),
            session: SessionId(5),
            reason: RescindReason::PushTimeout,
        },
        Event::WorkChanged {
            work: WorkItem {
                id: WorkId(6),
                org: OrgId(1),
                session: SessionId(5),
                queue: QueueId(7),
                agent: AgentId(4),
                status: WorkStatus::Closed,
                capacity_weight: 1,
                requested_at: Timestamp(1),
                assigned_at: Timestamp(2),
                accepted_at: Some(Timestamp(3)),
                closed_at: None,
            },
        },
        Event::ConsentChanged {
            org: OrgId(1),
            channel: ChannelId(2),
            user: UserId(3),
            consent: Consent::OptedOut,
        },
        Event::PresenceChanged {
            org: OrgId(1),
            agent: AgentId(4),
            presence: Presence::Busy,
        },
    ];
    for event in events {
        let text = serde_json::to_string(&event).unwrap();
        assert!(text.starts_with(r#"{"type":"#), "{text}");
        assert_eq!(from_str::<Event>(&text).unwrap(), event, "{text}");
        // The same object with `type` last, and the body's `type` last too.
        let (tag, rest) = text[1..text.len() - 1].split_once(',').unwrap();
        let moved = format!("{{{rest},{tag}}}");
        let moved = moved.replace(
            r#"{"type":"text","text":"hi \"you\""}"#,
            r#"{"text":"hi \"you\"","type":"text"}"#,
        );
        assert_eq!(from_str::<Event>(&moved).unwrap(), event, "{moved}");
    }
}

/// What is not an event or a message body is refused, whether its type comes first or not.
#[test]
fn malformed_events_and_bodies_are_refused() {
    let body = |b: &str| {
        format!(
            r#"{{"type":"message","org":1,"channel":2,"user":3,"message":{{"session":5,"seq":1,"channel_seq":1,"sender":"end_user","body":{b},"at":0}}}}"#
        )
    };
    assert!(from_str::<Event>(&body(r#"{"type":"text","text":"hi"}"#)).is_ok());
    for bad in [
        r#"{"org":1}"#.to_owned(),
        r#"{}"#.to_owned(),
        r#"{"type":"teleported","org":1}"#.to_owned(),
        r#"{"type":7,"org":1}"#.to_owned(),
        r#"{"org":1,"type":"teleported"}"#.to_owned(),
        r#"{"type":"presence_changed","org":1,"agent":2}"#.to_owned(),
        r#"{"org":1,"agent":2,"type":"presence_changed","presence":"asleep"}"#.to_owned(),
        r#"["presence_changed"]"#.to_owned(),
        body(r#"{"type":"text","text":"hi","extra":1}"#),
        body(r#"{"text":"hi","extra":1,"type":"text"}"#),
        body(r#"{"type":"text"}"#),
        body(r#"{"text":"hi"}"#),
    ] {
        assert!(from_str::<Event>(&bad).is_err(), "{bad}");
    }
}
