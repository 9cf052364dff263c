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
