//! Property tests: every parser of what a server sends (token answers, `Retry-After`, `$batch`
//! answers, Graph and token error bodies, collection pages) is fed arbitrary bytes, arbitrary
//! JSON and adversarial numbers and strings. None may panic: a panic mid-deploy cancels the
//! changes in flight. Where a parser yields a duration, it stays within its clamp.

use std::time::Duration;

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::batch::{Read, read_batch_answer};
use crate::client::take_page;
use crate::error::{parse_graph_error, parse_token_error};
use crate::retry::{MAX_RETRY_AFTER, parse_retry_after, parse_retry_after_at};
use crate::token::{MAX_TOKEN_LIFETIME, parse_token_response, refresh_after};

/// Numbers that break naive arithmetic: huge, tiny, negative, at the edges of the integer
/// types, and as text that parses to infinity or NaN.
fn adversarial_number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("1e20".to_string()),
        Just("1e308".to_string()),
        Just("1e309".to_string()),
        Just("-1e308".to_string()),
        Just("1e-320".to_string()),
        Just("18446744073709551615".to_string()),
        Just("18446744073709551616".to_string()),
        Just("-9223372036854775808".to_string()),
        Just("340282366920938463463374607431768211456".to_string()),
        Just("-0".to_string()),
        Just("0.0000001".to_string()),
        Just("NaN".to_string()),
        Just("inf".to_string()),
        Just("+infinity".to_string()),
        Just("-inf".to_string()),
        Just("1_000".to_string()),
        Just("0x10".to_string()),
        Just(" 2.128 ".to_string()),
        Just("Fri, 31 Dec 9999 23:59:59 GMT".to_string()),
        Just("Mon, 01 Jan 0001 00:00:00 GMT".to_string()),
        Just("Wed, 21 Oct 2015 07:28:00 +9959".to_string()),
        any::<f64>().prop_map(|f| f.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        (any::<u32>(), any::<i16>()).prop_map(|(m, e)| format!("{m}e{e}")),
    ]
}

fn adversarial_string() -> impl Strategy<Value = String> {
    prop_oneof![
        adversarial_number_text(),
        Just("AADSTS".to_string()),
        Just("AADSTS99999999999999999999: overflow".to_string()),
        Just("AADSTS7000215".to_string()),
        Just("ü€𝄞\u{0}\u{202e}".to_string()),
        Just(String::new()),
        "\\PC{0,40}",
        any::<String>(),
    ]
}

fn arb_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        Just(json!(1e308)),
        Just(json!(-1e308)),
        Just(json!(1e20)),
        Just(json!(5e-324)),
        Just(json!(u64::MAX)),
        Just(json!(i64::MIN)),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        arb_number(),
        adversarial_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((adversarial_string(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A value that is either anything at all or one of the forms a field is meant to have.
fn field(meant: impl Strategy<Value = Value> + 'static) -> BoxedStrategy<Value> {
    prop_oneof![arb_json(), meant].boxed()
}

fn text_value() -> impl Strategy<Value = Value> {
    adversarial_string().prop_map(Value::String)
}

/// A token answer shaped like Entra's, with every field arbitrary or adversarial.
fn token_body() -> impl Strategy<Value = String> {
    (
        field(text_value()),
        field(prop_oneof![arb_number(), text_value()]),
        field(prop_oneof![arb_number(), text_value()]),
        field(text_value()),
        proptest::option::of(arb_json()),
    )
        .prop_map(|(access, expires, ext, kind, extra)| {
            let mut body = json!({
                "token_type": kind,
                "access_token": access,
                "expires_in": expires,
                "ext_expires_in": ext,
            });
            if let Some(extra) = extra {
                body["extra"] = extra;
            }
            body.to_string()
        })
}

/// A token endpoint error answer.
fn token_error_body() -> impl Strategy<Value = String> {
    (
        field(text_value()),
        field(text_value()),
        field(prop::collection::vec(arb_number(), 0..4).prop_map(Value::Array)),
    )
        .prop_map(|(error, description, codes)| {
            json!({"error": error, "error_description": description, "error_codes": codes})
                .to_string()
        })
}

/// A Graph error answer.
fn graph_error_body() -> impl Strategy<Value = String> {
    (
        field(text_value()),
        field(text_value()),
        arb_json(),
        any::<bool>(),
    )
        .prop_map(|(code, message, inner, lower)| {
            let key = if lower { "innererror" } else { "innerError" };
            json!({"error": {"code": code, "message": message, key: inner}}).to_string()
        })
}

/// A `$batch` answer for reads "0".."n", with each item's status, headers and body arbitrary.
fn batch_body() -> impl Strategy<Value = String> {
    let item = (
        field(prop_oneof![
            (0usize..6).prop_map(|i| Value::String(i.to_string())),
            text_value()
        ]),
        field(prop_oneof![
            prop::sample::select(vec![200u16, 204, 404, 424, 429, 500, 503, 0, 65535])
                .prop_map(Value::from),
            arb_number()
        ]),
        field(
            (
                field(prop_oneof![text_value(), arb_number()]),
                any::<bool>()
            )
                .prop_map(|(retry_after, lower)| {
                    let key = if lower { "retry-after" } else { "Retry-After" };
                    json!({key: retry_after, "request-id": "x"})
                })
        ),
        field(
            (field(text_value()), arb_json())
                .prop_map(|(next, value)| json!({"@odata.nextLink": next, "value": value}))
        ),
    )
        .prop_map(|(id, status, headers, body)| {
            json!({"id": id, "status": status, "headers": headers, "body": body})
        });
    field(prop::collection::vec(item, 0..8).prop_map(|items| json!({"responses": items})))
        .prop_map(|v| v.to_string())
}

/// Arbitrary bytes, as the client would see them (decoded lossily, as `reqwest` decodes).
fn bytes_as_text() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<u8>(), 0..256)
        .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

fn reads(n: usize) -> (Vec<Read>, Vec<String>) {
    let reads = (0..n)
        .map(|index| Read {
            index,
            relative: format!("/groups/{index}"),
            batch: "$batch",
            conditional_access: false,
        })
        .collect();
    let paths = (0..n).map(|i| format!("groups/{i}")).collect();
    (reads, paths)
}

fn check_token(body: &str) {
    if let Ok(token) = parse_token_response(body) {
        assert!(!token.lifetime.is_zero() && token.lifetime <= MAX_TOKEN_LIFETIME);
        assert!(refresh_after(token.lifetime) <= token.lifetime);
        assert!(!token.access_token.is_empty());
    }
}

fn check_retry_after(value: &str) {
    if let Some(wait) = parse_retry_after(value) {
        assert!(wait <= MAX_RETRY_AFTER, "{value:?} gave {wait:?}");
    }
}

fn check_batch(body: &str) {
    let (chunk, paths) = reads(6);
    let outcomes = read_batch_answer(body, &chunk, &paths, "crid");
    assert_eq!(outcomes.len(), chunk.len(), "one outcome per read");
    for outcome in outcomes {
        if let crate::batch::ItemOutcome::Retry {
            retry_after: Some(wait),
            ..
        } = outcome
        {
            assert!(wait <= MAX_RETRY_AFTER);
        }
    }
}

fn check_errors(body: &str, status: u16) {
    let graph = parse_graph_error(body);
    let _ = graph.summary(status);
    let token = parse_token_error(status, body, &["s3cret-value"]);
    assert!(!token.to_string().contains("s3cret-value"));
    if let Ok(value) = serde_json::from_str::<Value>(body) {
        let mut items = Vec::new();
        let _ = take_page(value, &mut items);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn retry_after_never_panics_and_stays_clamped(
        value in prop_oneof![adversarial_number_text(), adversarial_string(), bytes_as_text()],
        now_secs in -62_135_596_800i64..253_402_300_799,
    ) {
        check_retry_after(&value);
        let now = time::OffsetDateTime::from_unix_timestamp(now_secs).unwrap();
        if let Some(wait) = parse_retry_after_at(&value, now) {
            prop_assert!(wait <= MAX_RETRY_AFTER);
        }
    }

    #[test]
    fn token_answers_never_panic_and_lifetimes_stay_clamped(
        body in prop_oneof![token_body(), arb_json().prop_map(|v| v.to_string()), bytes_as_text()],
    ) {
        check_token(&body);
    }

    #[test]
    fn batch_answers_never_panic(
        body in prop_oneof![batch_body(), arb_json().prop_map(|v| v.to_string()), bytes_as_text()],
    ) {
        check_batch(&body);
    }

    #[test]
    fn error_bodies_and_pages_never_panic(
        body in prop_oneof![
            graph_error_body(),
            token_error_body(),
            arb_json().prop_map(|v| v.to_string()),
            bytes_as_text(),
        ],
        status in any::<u16>(),
    ) {
        check_errors(&body, status);
    }
}

#[test]
fn the_values_from_the_issue_are_clamped() {
    assert_eq!(parse_retry_after("1e20"), Some(MAX_RETRY_AFTER));
    check_token(r#"{"access_token":"t","expires_in":1e300,"ext_expires_in":1e300}"#);
    check_batch(
        r#"{"responses":[{"id":"0","status":429,"headers":{"Retry-After":1e20}},{"id":"1","status":503,"headers":{"retry-after":"1e20"}}]}"#,
    );
    let (chunk, paths) = reads(1);
    let outcome = read_batch_answer(
        r#"{"responses":[{"id":"0","status":429,"headers":{"Retry-After":1e20}}]}"#,
        &chunk,
        &paths,
        "c",
    );
    assert!(matches!(
        outcome[..],
        [crate::batch::ItemOutcome::Retry { retry_after: Some(w), throttled: true, .. }] if w == Duration::from_secs(3600)
    ));
}
