//! Custom mappings beyond the shared vectors in `tests/vectors/mappings/`.

use alertgate::{DedupBasis, Mapping, Options, Request, Severity, Source, Status, ingest};

fn with(mapping: &str) -> Options {
    let mut o = Options::default();
    o.mapping = Some(Mapping::from_json(mapping).unwrap());
    o
}

#[test]
fn batched_alerts_explain_their_pointers() {
    let mut opts = with(
        r##"{"name": "m", "alerts": "/items", "title": "/n", "service": "#/svc", "dedup": ["#/svc", "/id"]}"##,
    );
    opts.explain = true;
    let body = br#"{"svc": "api", "items": [{"n": "one", "id": 1}, {"n": "two", "id": 2}]}"#;
    let out = ingest(&Request::new(body), &opts).unwrap();
    assert_eq!(out.source, Source::Generic);
    assert_eq!(out.detection_reason, "mapping m");
    assert_eq!(out.alerts[1].dedup_key, "api:2");
    assert_eq!(out.alerts[1].dedup_basis, DedupBasis::Vendor);
    let fields = &out.explanation.unwrap().fields;
    assert_eq!(fields[1]["title"], "/items/1/n");
    assert_eq!(fields[1]["service"], "/svc");
    assert_eq!(fields[0]["dedup_key"], "the mapping's dedup: #/svc + /id");
}

#[test]
fn pointer_escapes_and_defaults() {
    let opts = with(
        r#"{"title": "/a~1b/c~0d", "status": {"default": "ack"}, "severity": {"from": "/x", "default": "p2"}}"#,
    );
    let out = ingest(&Request::new(br#"{"a/b": {"c~d": "escaped"}}"#), &opts).unwrap();
    let a = &out.alerts[0];
    assert_eq!(a.title, "escaped");
    assert_eq!(a.status, Status::Acknowledged);
    assert_eq!(a.severity, Severity::Error);
    assert_eq!(a.severity_raw.as_deref(), Some("p2"));
}

#[test]
fn null_alerts_give_no_alerts_and_text_is_refused() {
    let opts = with(r#"{"alerts": "/items", "title": "/n"}"#);
    assert!(
        ingest(&Request::new(br#"{"items": null}"#), &opts)
            .unwrap()
            .alerts
            .is_empty()
    );
    let e = ingest(&Request::new(b"plain words"), &opts).unwrap_err();
    assert_eq!(e.code(), "payload_mismatch");
}

#[test]
fn tags_arrays_become_labels() {
    let opts = with(r#"{"title": "/t", "labels": "/tags"}"#);
    let out = ingest(
        &Request::new(br#"{"t": "x", "tags": ["env:prod", "canary"]}"#),
        &opts,
    )
    .unwrap();
    assert_eq!(out.alerts[0].labels["env"], "prod");
    assert_eq!(out.alerts[0].labels["canary"], "");
}

#[test]
fn invalid_mappings_name_the_problem() {
    for (mapping, needle) in [
        (r#"{"title": "/a~2"}"#, "'/a~2' is not a JSON Pointer"),
        (r#"{"title": 5}"#, "title: expected a JSON Pointer"),
        (r#"{"links": {"wiki": "/u"}}"#, "unknown rel 'wiki'"),
        (
            r#"{"severity": {"from": "/s", "values": {"1": "huge"}}}"#,
            "'huge' is not a severity word",
        ),
        (r#"{"status": {"form": "/s"}}"#, "unknown key 'form'"),
        (r##"{"alerts": "#/x"}"##, "alerts: expected a JSON Pointer"),
        (r#"[1]"#, "a mapping is a JSON object"),
        (r#"{"#, "not JSON"),
    ] {
        let e = Mapping::from_json(mapping).unwrap_err();
        assert_eq!((e.code(), e.http_status()), ("invalid_mapping", 500));
        assert!(e.to_string().contains(needle), "{mapping}: {e}");
    }
}

#[test]
fn mapping_and_source_hint_conflict() {
    let mut opts = with(r#"{"title": "/t"}"#);
    opts.source_hint = Some(Source::Grafana);
    assert_eq!(
        ingest(&Request::new(b"{}"), &opts).unwrap_err().code(),
        "invalid_config"
    );
}
