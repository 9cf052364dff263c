//! R-CHAN: channels, users and components.

mod common;
use common::*;
use omnisim_protocol::*;
use omnisim_reference_server::OrgCommand;

#[test]
fn r_chan_1_platform_change_is_rejected_and_channel_unchanged() {
    let mut w = World::new();
    let q = w.queue("support");
    let ch = w.channel(ChannelKind::Web, Platform::Standard, Entry::Queue(q));
    w.rejects(ErrorCode::ChannelTypeImmutable, |w| {
        w.org_cmd(OrgCommand::UpdateChannel(
            ch,
            ChannelUpdate {
                name: Some("renamed".into()),
                platform: Some(Platform::Enhanced),
                ..Default::default()
            },
        ))
    });
    let c = w.engine.channel(w.org, ch).unwrap();
    assert_eq!((c.platform, c.name.as_str()), (Platform::Standard, "Web"));
}

#[test]
fn r_chan_1_other_settings_can_change_and_same_platform_is_accepted() {
    let mut w = World::new();
    let q = w.queue("support");
    let ch = w.channel(ChannelKind::Web, Platform::Standard, Entry::Queue(q));
    w.org_cmd(OrgCommand::UpdateChannel(
        ch,
        ChannelUpdate {
            platform: Some(Platform::Standard),
            consent_level: Some(ConsentLevel::Double),
            ..Default::default()
        },
    ))
    .unwrap();
    assert_eq!(
        w.engine.channel(w.org, ch).unwrap().consent_level,
        ConsentLevel::Double
    );
}

#[test]
fn r_chan_2_one_user_per_channel_and_address() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    let sms = w.channel(ChannelKind::Sms, Platform::Standard, Entry::Queue(q));
    let first = w.say(web, "+15550001", "hello");
    let again = w.say(web, "+15550001", "anyone?");
    let other_channel = w.say(sms, "+15550001", "hello by sms");
    assert_eq!(first.user, again.user);
    assert_eq!(first.conversation_id, again.conversation_id);
    assert_ne!(first.user, other_channel.user);
    assert_ne!(first.conversation_id, other_channel.conversation_id);
}

#[test]
fn r_chan_3_components_rejected_on_standard_channels() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    let a = w.agent(2, &[]);
    let s = w.say(web, "u1", "hi").session;
    w.take(a);
    w.rejects(ErrorCode::ComponentsUnsupported, |w| {
        w.send(
            a,
            s,
            OutboundContent::Component {
                component: question(),
            },
        )
    });
}

#[test]
fn r_chan_3_enhanced_sms_renders_components_as_text_others_structured() {
    let mut w = World::new();
    let q = w.queue("support");
    let sms = w.channel(ChannelKind::Sms, Platform::Enhanced, Entry::Queue(q));
    let web = w.channel(ChannelKind::Web, Platform::Enhanced, Entry::Queue(q));
    let a = w.agent(2, &[]);
    let on_sms = w.say(sms, "+1555", "hi").session;
    w.take(a);
    let on_web = w.say(web, "visitor", "hi").session;
    w.take(a);
    let component = OutboundContent::Component {
        component: question(),
    };
    let m1 = w.send(a, on_sms, component.clone()).unwrap();
    let m2 = w.send(a, on_web, component).unwrap();
    let sms_msg = &w.messages(on_sms)[m1.seq.0 as usize - 1];
    assert_eq!(sms_msg.rendered_as, Some(RenderedAs::Text));
    assert_eq!(
        sms_msg.rendered_text.as_deref(),
        Some("Pick one\n1. Alpha\n2. Beta")
    );
    let web_msg = &w.messages(on_web)[m2.seq.0 as usize - 1];
    assert_eq!(web_msg.rendered_as, Some(RenderedAs::Structured));
    assert_eq!(web_msg.rendered_text, None);
}

#[test]
fn r_chan_4_component_response_must_name_an_earlier_component_and_option() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.channel(ChannelKind::Web, Platform::Enhanced, Entry::Queue(q));
    let a = w.agent(1, &[]);
    let s = w.say(web, "v", "hi").session;
    w.take(a);
    let sent = w
        .send(
            a,
            s,
            OutboundContent::Component {
                component: question(),
            },
        )
        .unwrap();
    let respond = |seq: Seq, id: &str| InboundContent::ComponentResponse {
        in_reply_to: seq,
        answer_id: id.into(),
    };
    // Unknown option, a seq that is not a component, a seq that does not exist.
    w.rejects(ErrorCode::InvalidComponentResponse, |w| {
        w.inbound(web, "v", respond(sent.seq, "zzz"))
    });
    w.rejects(ErrorCode::InvalidComponentResponse, |w| {
        w.inbound(web, "v", respond(Seq(1), "a"))
    });
    w.rejects(ErrorCode::InvalidComponentResponse, |w| {
        w.inbound(web, "v", respond(Seq(99), "a"))
    });
    w.rejects(ErrorCode::InvalidComponentResponse, |w| {
        w.inbound(web, "v", respond(Seq(0), "a"))
    });
    // Another user's session does not count.
    w.rejects(ErrorCode::InvalidComponentResponse, |w| {
        w.inbound(web, "other", respond(sent.seq, "a"))
    });
    let ok = w.inbound(web, "v", respond(sent.seq, "b")).unwrap();
    assert_eq!(ok.seq, Some(sent.seq.next()));
    assert_eq!(
        w.messages(s).last().unwrap().body,
        MessageBody::ComponentResponse {
            in_reply_to: sent.seq,
            answer_id: "b".into()
        }
    );
}
