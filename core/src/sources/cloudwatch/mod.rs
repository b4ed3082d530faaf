//! AWS CloudWatch alarms: through an Amazon SNS HTTP(S) subscription (the SNS
//! envelope whose `Message` is the alarm as a JSON string), the alarm JSON
//! posted directly (SNS raw message delivery), and EventBridge "CloudWatch
//! Alarm State Change" events (directly or inside an SNS envelope).
//!
//! `NewStateValue` ALARM and INSUFFICIENT_DATA are triggered, OK resolved. An
//! SNS subscription or unsubscribe confirmation gives no alert, a notice and
//! the `subscribe_url`; an SNS notification that is not an alarm gives one
//! alert from its `Subject` and `Message`.

use alloc::borrow::Cow;
use alloc::format;

use serde::Deserialize;

use super::{Headers, Sender};
use crate::Notice;
use crate::builder::Builder;
use crate::ingest::Payload;
use crate::json::{self, Kind, Text, cow};
use crate::sources::generic::plain_text;
use crate::text::bounded;
use crate::{Error, Source, Status};

mod alarm;
mod event;
mod view;

use alarm::Alarm;
use event::Event;
use view::{EVENT, SNS_ALARM, alarm_view, event_view, push_view};

pub(crate) const SENDER: Sender = Sender {
    source: Source::Cloudwatch,
    header_rule: "x-amz-sns-message-type header, or User-Agent starts with Amazon Simple Notification Service Agent",
    by_header,
    shape_rule: "SNS message ('Type' with 'TopicArn' and 'MessageId'), alarm ('AlarmName' with 'NewStateValue'), or EventBridge 'detail-type' CloudWatch Alarm State Change",
    by_shape,
    parse,
};

/// The EventBridge `detail-type` of an alarm state change.
const ALARM_STATE_CHANGE: &str = "CloudWatch Alarm State Change";

fn by_header(req: &Headers<'_, '_>) -> Option<&'static str> {
    if req.header("x-amz-sns-message-type").is_some() {
        Some("x-amz-sns-message-type header")
    } else if req.user_agent_starts_with("Amazon Simple Notification Service Agent") {
        Some("User-Agent starts with Amazon Simple Notification Service Agent")
    } else {
        None
    }
}

fn by_shape(p: &Payload<'_>) -> Option<&'static str> {
    let Payload::Json { text, probe } = p else {
        return None;
    };
    if probe.has("Type") && probe.has("TopicArn") && probe.has("MessageId") {
        Some("SNS message: 'Type', 'TopicArn' and 'MessageId'")
    } else if probe.has("AlarmName") && probe.has("NewStateValue") {
        Some("CloudWatch alarm: 'AlarmName' and 'NewStateValue'")
    } else if probe.is("detail-type", Kind::String)
        && probe.is("detail", Kind::Object)
        && probe
            .typed::<EventHead<'_>>(text)
            .is_ok_and(|h| is_alarm_event(h.detail_type.as_ref()))
    {
        Some("EventBridge 'detail-type' CloudWatch Alarm State Change")
    } else {
        None
    }
}

/// Just the `detail-type` of an EventBridge event, for detection.
#[derive(Deserialize)]
struct EventHead<'a> {
    #[serde(rename = "detail-type", borrow)]
    detail_type: Option<Text<'a>>,
}

fn is_alarm_event(detail_type: Option<&Text<'_>>) -> bool {
    detail_type.is_some_and(|t| t.as_str().trim().eq_ignore_ascii_case(ALARM_STATE_CHANGE))
}

/// An SNS HTTP(S) message. `Signature`, `SigningCertURL`, `Token` and
/// `UnsubscribeURL` are not read.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Envelope<'a> {
    #[serde(rename = "Type", borrow)]
    kind: Option<Text<'a>>,
    #[serde(borrow)]
    message_id: Option<Text<'a>>,
    #[serde(borrow)]
    topic_arn: Option<Text<'a>>,
    #[serde(borrow)]
    subject: Option<Text<'a>>,
    #[serde(borrow)]
    message: Option<Text<'a>>,
    #[serde(borrow)]
    timestamp: Option<Text<'a>>,
    #[serde(rename = "SubscribeURL", borrow)]
    subscribe_url: Option<Text<'a>>,
}

fn parse<'a>(p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    let (text, probe) = match p {
        // SNS raw message delivery of a message that is not JSON.
        Payload::Text(text) => return b.push(plain_text(text, b.draft())),
        _ => p.json(b)?,
    };
    if probe.has("Type") && (probe.has("TopicArn") || probe.has("MessageId")) {
        let env: Envelope<'_> = b.typed(text)?;
        return push_envelope(env, b);
    }
    if probe.has("AlarmName") {
        let alarm: Alarm<'_> = b.typed(text)?;
        return push_view(alarm_view(alarm), &SNS_ALARM, None, b.draft(), b);
    }
    if probe.has("detail-type") {
        let head: EventHead<'_> = b.typed(text)?;
        if !is_alarm_event(head.detail_type.as_ref()) {
            let kind = head.detail_type.as_ref().map_or("", Text::as_str);
            return Err(b.mismatch(format!(
                "detail-type '{}' is not a {ALARM_STATE_CHANGE}",
                bounded(kind, 64)
            )));
        }
        let event: Event<'_> = b.typed(text)?;
        let (view, time) = event_view(event);
        return push_view(view, &EVENT, Some(("/time", time)), b.draft(), b);
    }
    Err(b.mismatch("missing required field 'Type' (an SNS message), 'AlarmName' or 'detail-type'"))
}

/// An SNS message: confirmations give a notice, notifications an alert.
fn push_envelope(env: Envelope<'_>, b: &mut Builder<'_, '_>) -> Result<(), Error> {
    if let Some(arn) = &env.topic_arn {
        b.annotate("topic_arn", arn.as_str());
    }
    if let Some(id) = &env.message_id {
        b.annotate("message_id", id.as_str());
    }
    let notice = match env.kind.as_ref().map(|t| t.as_str().trim()) {
        Some("SubscriptionConfirmation") => Some(Notice::SubscriptionConfirmation),
        Some("UnsubscribeConfirmation") => Some(Notice::UnsubscribeConfirmation),
        // Notification, and anything else SNS might add: read it, never drop it.
        _ => None,
    };
    if let Some(notice) = notice {
        b.notice = Some(notice);
        if let Some(url) = &env.subscribe_url {
            b.annotate("subscribe_url", url.as_str());
        }
        return Ok(());
    }

    let message = cow(env.message);
    let sent_at = cow(env.timestamp);
    if let Some(inner) = message
        .as_deref()
        .map(str::trim)
        .filter(|m| m.starts_with('{'))
    {
        // The alarm is JSON inside a string: probed under the same depth limit.
        if let Ok(probe) = json::probe(inner, b.opts.limits.max_depth) {
            let mut d = b.draft();
            if d.explain {
                d.base = Cow::Borrowed("the JSON in /Message at ");
            }
            if probe.has("AlarmName") {
                if let Ok(alarm) = json::typed::<Alarm<'_>>(inner) {
                    let fallback = Some(("#/Timestamp", sent_at.clone()));
                    return push_view(alarm_view(alarm), &SNS_ALARM, fallback, d, b);
                }
            } else if json::typed::<EventHead<'_>>(inner)
                .is_ok_and(|h| is_alarm_event(h.detail_type.as_ref()))
                && let Ok(event) = json::typed::<Event<'_>>(inner)
            {
                let (view, time) = event_view(event);
                return push_view(view, &EVENT, Some(("/time", time)), d, b);
            }
        }
    }
    push_message(cow(env.subject), message, cow(env.message_id), sent_at, b)
}

/// An SNS notification that is not an alarm: `Subject` and `Message`.
fn push_message<'a>(
    subject: Option<Cow<'a, str>>,
    message: Option<Cow<'a, str>>,
    message_id: Option<Cow<'a, str>>,
    sent_at: Option<Cow<'a, str>>,
    b: &mut Builder<'_, '_>,
) -> Result<(), Error> {
    let message = message.filter(|m| !m.trim().is_empty());
    let mut d = b.draft();
    match (subject.filter(|s| !s.trim().is_empty()), message.as_deref()) {
        (Some(subject), message) => {
            d.title = Some(subject);
            d.origin("title", "/Subject");
            if let Some(m) = message {
                d.description = Some(Cow::Borrowed(m.trim()));
                d.origin("description", "/Message");
            }
        }
        // No subject: the message's first line is the title.
        (None, Some(m)) => d = plain_text(m, d),
        (None, None) => {}
    }
    d.status = Status::Triggered;
    d.vendor_key = d.pick("dedup_key", [("/MessageId", message_id.clone())]);
    d.source_ref = d.pick("source_ref", [("/MessageId", message_id)]);
    d.started_at = d.pick("started_at", [("/Timestamp", sent_at)]);
    b.push_owned(d)
}
