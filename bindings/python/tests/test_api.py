"""The Python surface: attributes, iteration, accepted argument types, errors."""

from __future__ import annotations

import pytest

import alertgate

AM = (
    b'{"version":"4","status":"firing","groupKey":"g","tier":9,"alerts":['
    b'{"status":"firing","labels":{"alertname":"HighCPU","severity":"page","service":"api","instance":"n1"},'
    b'"annotations":{"summary":"hot","runbook_url":"https://rb/1"},"fingerprint":"f1","generatorURL":"https://g/1"},'
    b'{"status":"resolved","labels":{"alertname":"DiskFull"},"fingerprint":"f2","endsAt":"2024-01-15T10:30:00Z"}]}'
)


def test_attributes_and_iteration() -> None:
    r = alertgate.ingest(AM, headers={"User-Agent": "Alertmanager/0.27.0"}, max_tier=2)
    assert (r.source, r.detected_by, r.tier, r.group_key, r.notice) == ("alertmanager", "header", 2, "g", None)
    assert len(r) == 2
    assert [a.title for a in r] == ["HighCPU", "DiskFull"]
    assert r[-1].status == "resolved" and r[0].severity == "critical"
    a = r.alerts[0]
    assert (a.service, a.host, a.dedup_key, a.dedup_basis, a.source_ref) == ("api", "n1", "f1", "vendor", "f1")
    assert a.labels["alertname"] == "HighCPU" and a.annotations["summary"] == "hot"
    assert [(l.rel, l.href) for l in a.links] == [("generator", "https://g/1"), ("runbook", "https://rb/1")]
    assert r.warnings == [{"code": "tier_clamped", "message": "tier 9 is above max_tier 2; using 2"}]
    assert r.alerts[1].ended_at == "2024-01-15T10:30:00Z"
    with pytest.raises(IndexError):
        r[2]
    assert "HighCPU" in repr(a) and "alertmanager" in repr(r)


def test_alerts_are_read_only_and_kept() -> None:
    r = alertgate.ingest(AM, headers={"User-Agent": "Alertmanager/0.27.0"})
    second = r[1]  # made alone, before the others
    a = r.alerts[0]
    assert r.alerts[1] is second and r[0] is a and list(r) == [a, second]
    assert a.labels is a.labels and a.to_dict()["labels"] is not a.labels
    assert a.to_dict() == r.to_dict()["alerts"][0] and second.to_dict() == r.to_dict()["alerts"][1]
    for name in ("title", "labels", "severity", "links", "source_ref"):
        with pytest.raises(AttributeError):
            setattr(a, name, "x")
    with pytest.raises(AttributeError):
        del a.title
    with pytest.raises(AttributeError):
        a.extra = 1  # type: ignore[attr-defined]
    assert a.title == "HighCPU"


def test_body_and_header_types() -> None:
    text = '{"summary": "héllo", "severity": "low"}'
    for body in (text, text.encode(), bytearray(text.encode()), memoryview(text.encode())):
        assert alertgate.ingest(body).alerts[0].title == "héllo"
    pairs = [("Content-Type", "application/x-www-form-urlencoded")]
    assert alertgate.ingest(b"title=Queue+stuck", headers=pairs).alerts[0].title == "Queue stuck"
    with pytest.raises(TypeError):
        alertgate.ingest(12)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        alertgate.ingest(b"{}", headers=[("only-one",)])  # type: ignore[list-item]


def test_mapping_as_dict_or_text_and_explain() -> None:
    body = b'{"check": {"id": "c1", "name": "API down"}}'
    for mapping in ({"name": "acme", "title": "/check/name", "dedup": "/check/id"},
                    '{"name": "acme", "title": "/check/name", "dedup": "/check/id"}'):
        r = alertgate.ingest(body, mapping=mapping, explain=True)
        assert r.detection_reason == "mapping acme" and r.alerts[0].dedup_key == "c1"
        assert r.explanation is not None and r.explanation["fields"][0]["title"] == "/check/name"
    assert alertgate.ingest(body).explanation is None


@pytest.mark.parametrize(
    ("call", "cls", "code", "status"),
    [
        (lambda: alertgate.ingest(b"  "), alertgate.PayloadError, "empty_body", 400),
        (lambda: alertgate.ingest(b"[1]", content_type="application/json"), alertgate.PayloadError, "not_an_object", 400),
        (lambda: alertgate.ingest(b"{\n", content_type="application/json"), alertgate.PayloadError, "invalid_json", 400),
        (lambda: alertgate.ingest(b"\xff", content_type="text/plain"), alertgate.PayloadError, "invalid_utf8", 400),
        (lambda: alertgate.ingest(b"x" * (1 << 20 + 1)), alertgate.PayloadError, "payload_too_large", 413),
        (lambda: alertgate.ingest(b'{"a":' + b"[" * 70 + b"]" * 70 + b"}"), alertgate.PayloadError, "too_deep", 400),
        (lambda: alertgate.ingest(b'{"title": "x"}', source="alertmanager"), alertgate.PayloadError, "payload_mismatch", 400),
        (lambda: alertgate.ingest(b'{"title": "' + b"x" * 300 + b'"}', strict=True), alertgate.PayloadError, "field_too_long", 400),
        (lambda: alertgate.ingest(b"{}", source="nagios"), alertgate.ConfigError, "unknown_source", 400),
        (lambda: alertgate.ingest(b"{}", max_tier=0), alertgate.ConfigError, "invalid_config", 500),
        (lambda: alertgate.ingest(b"{}", mapping={"title": "x"}), alertgate.ConfigError, "invalid_mapping", 500),
        (lambda: alertgate.Verifier("nope", "k"), alertgate.ConfigError, "invalid_config", 500),
        (lambda: alertgate.Verifier("github", ""), alertgate.ConfigError, "invalid_config", 500),
        (lambda: alertgate.verify("github", "k", {}, b"x"), alertgate.AuthError, "missing_credentials", 401),
        (lambda: alertgate.verify("bearer", "k", {"Authorization": "Bearer no"}, b"x"), alertgate.AuthError, "invalid_token", 401),
        (lambda: alertgate.verify("github", "k", {"X-Hub-Signature-256": "sha256=00"}, b"x"), alertgate.AuthError, "malformed_signature", 401),
        (lambda: alertgate.verify("github", "k", {"X-Hub-Signature-256": "sha256=" + "0" * 64}, b"x"), alertgate.AuthError, "signature_mismatch", 401),
        (lambda: alertgate.verify("slack", "k", {"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=" + "0" * 64}, b"x", now=10_000),
         alertgate.AuthError, "timestamp_out_of_tolerance", 401),
        (lambda: alertgate.synthesize(alertgate.ingest(b"x"), b"x", alertgate.SynthConfig()), alertgate.SynthesisError, "not_configured", 503),
        (lambda: alertgate.SynthConfig(provider="nope"), alertgate.ConfigError, "invalid_config", 500),  # type: ignore[arg-type]
    ],
)
def test_error_classes(call: object, cls: type, code: str, status: int) -> None:
    with pytest.raises(cls) as info:
        call()  # type: ignore[operator]
    err = info.value
    assert isinstance(err, alertgate.AlertgateError)
    assert (err.code, err.http_status) == (code, status)
    assert str(err)
