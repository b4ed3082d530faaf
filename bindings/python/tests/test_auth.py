"""Every signature vector: Verifier/verify valid or the expected code (SNS cases with their
certificate); sign reproduces headers. Plus basic auth, the SNS URL helpers and the header-only
methods."""

from __future__ import annotations

from typing import Any

import pytest

import alertgate
from vectors_support import signature_cases

CASES = signature_cases()
OPTION_KEYS = ("signature_header", "timestamp_header", "timestamp_unit", "id_header", "prefix", "signed_content",
               "topic_arn")
# Every scheme the core knows (Scheme::ALL): each must have vectors.
SCHEMES = {"bearer", "shared_secret", "hmac_sha256", "github", "opsknight", "opshift", "grafana", "pagerduty",
           "sentry", "slack", "stripe", "standard_webhooks", "svix", "basic", "sns"}


def options(case: dict[str, Any]) -> dict[str, Any]:
    o = case["options"]
    kw: dict[str, Any] = {k: o[k] for k in OPTION_KEYS if k in o}
    kw["tolerance"] = o.get("tolerance", 300)
    return kw


def test_there_are_signature_vectors() -> None:
    assert len(CASES) >= 200
    assert {c["scheme"] for c in CASES} == SCHEMES


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_signature_vector(case: dict[str, Any]) -> None:
    try:
        v = alertgate.Verifier(case["scheme"], case["secrets"], **options(case))
        if "certificate" in case:
            v.verify_with_certificate(case["headers"], case["body"], case["certificate"], now=case["now"])
        else:
            v.verify(case["headers"], case["body"], now=case["now"])
        got = "valid"
    except alertgate.AlertgateError as e:
        got = e.code
    assert got == case["expect"]
    # The one-shot function, with the body and the certificate as bytes.
    cert = case["certificate"].encode() if "certificate" in case else None
    try:
        alertgate.verify(case["scheme"], case["secrets"], case["headers"], case["body"].encode(),
                         now=case["now"], certificate=cert, **options(case))
        got = "valid"
    except alertgate.AlertgateError as e:
        got = e.code
    assert got == case["expect"]
    if "sign" in case:
        kw = {k: v for k, v in options(case).items() if k not in ("tolerance", "topic_arn")}
        signed = alertgate.sign(case["scheme"], case["secrets"][0], case["body"],
                                timestamp=case["sign"].get("timestamp"), id=case["sign"].get("id"), **kw)
        assert {k.lower(): v for k, v in signed.items()} == {n.lower(): v for n, v in case["headers"]}


def test_sign_then_verify_with_defaults() -> None:
    body = b'{"alerts": []}'
    for scheme, secret in [("github", "s"), ("slack", "s"), ("stripe", "whsec_x"), ("standard_webhooks", "whsec_c2VjcmV0")]:
        headers = alertgate.sign(scheme, secret, body)  # timestamp: now; id: derived
        alertgate.Verifier(scheme, secret).verify(headers, body)  # now: the clock
        with pytest.raises(alertgate.AuthError):
            alertgate.verify(scheme, secret, headers, body + b" ")


def test_basic_auth() -> None:
    v = alertgate.Verifier("basic", ["grafana:new", "alertmanager:c0rrect horse"])
    assert alertgate.sign("basic", "alertmanager:c0rrect horse", b"") == {
        "Authorization": "Basic YWxlcnRtYW5hZ2VyOmMwcnJlY3QgaG9yc2U="}
    v.verify({"authorization": "Basic YWxlcnRtYW5hZ2VyOmMwcnJlY3QgaG9yc2U="}, b"x")  # the rotated pair
    v.check_headers({"Authorization": "Basic Z3JhZmFuYTpuZXc="})
    with pytest.raises(alertgate.AuthError) as info:
        v.verify({"Authorization": "Basic Z3JhZmFuYTpvbGQ="}, b"x")  # grafana:old
    assert (info.value.code, info.value.http_status) == ("invalid_token", 401)
    with pytest.raises(alertgate.AuthError):
        v.verify({"Authorization": "Bearer alertmanager:c0rrect horse"}, b"x")
    with pytest.raises(alertgate.ConfigError) as cfg:
        alertgate.Verifier("basic", "no-colon")
    assert cfg.value.code == "invalid_config"
    assert (v.tolerance, v.delivery_id({}), v.signature({})) == (None, None, None)


SNS_NOTE = b'{"Type":"Notification","SigningCertURL":"https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem"}'


def test_sns_certificate_url() -> None:
    assert alertgate.sns_certificate_url(SNS_NOTE) == \
        "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem"
    assert alertgate.sns_certificate_url(SNS_NOTE.decode()).startswith("https://sns.eu-west-1.")
    for forged in ("https://sns.us-east-1.amazonaws.com.evil.com/x.pem", "http://sns.us-east-1.amazonaws.com/x.pem",
                   "https://sns.us-east-1.amazonaws.com/x.txt", "https://evil.com/sns.us-east-1.amazonaws.com/x.pem"):
        body = ('{"Type":"Notification","SigningCertURL":"%s"}' % forged).encode()
        with pytest.raises(alertgate.AuthError) as info:
            alertgate.sns_certificate_url(body)
        assert info.value.code == "malformed_signature", forged
    with pytest.raises(alertgate.AlertgateError):
        alertgate.sns_certificate_url(b"not json")


def test_sns_subscribe_url() -> None:
    case = next(c for c in CASES if c["scheme"] == "sns" and c["name"] == "subscription_confirmation_v1")
    confirm = case["body"].encode()
    assert alertgate.sns_subscribe_url(confirm).startswith("https://sns.eu-west-1.amazonaws.com/?Action=")
    forged = confirm.replace(b"amazonaws.com/?", b"amazonaws.com.evil.com/?")
    with pytest.raises(alertgate.AuthError):
        alertgate.sns_subscribe_url(forged)


def test_sns_takes_a_certificate_and_a_topic() -> None:
    case = next(c for c in CASES if c["scheme"] == "sns" and c["name"] == "pinned_topic")
    v = alertgate.Verifier("sns", [], topic_arn=case["options"]["topic_arn"])
    v.verify_with_certificate(dict(case["headers"]), case["body"].encode(), case["certificate"].encode(),
                              now=case["now"])
    with pytest.raises(alertgate.ConfigError) as info:
        v.verify(case["headers"], case["body"], now=case["now"])  # the certificate is needed
    assert info.value.code == "invalid_config"
    with pytest.raises(TypeError):
        v.verify_with_certificate(case["headers"], case["body"], 42)  # type: ignore[arg-type]
    other = alertgate.Verifier("sns", [], topic_arn="arn:aws:sns:eu-west-1:123456789012:other")
    with pytest.raises(alertgate.AuthError) as auth:
        other.check_headers(case["headers"], now=case["now"])
    assert auth.value.code == "invalid_token"
    assert v.delivery_id(case["headers"]) is None or isinstance(v.delivery_id(case["headers"]), str)
    with pytest.raises(alertgate.ConfigError):
        alertgate.Verifier("github", "k").verify_with_certificate({}, b"x", b"cert")


def test_header_only_methods() -> None:
    body = b'{"alerts": []}'
    v = alertgate.Verifier("svix", "whsec_c2VjcmV0")
    assert v.scheme == "svix" and v.tolerance == 300
    headers = alertgate.sign("svix", "whsec_c2VjcmV0", body, timestamp=1_700_000_000, id="msg_1")
    assert set(headers) == {"svix-id", "svix-timestamp", "svix-signature"}
    v.check_headers(headers, now=1_700_000_000)
    assert v.delivery_id(headers) == "msg_1"
    assert v.signature(headers) == headers["svix-signature"]
    with pytest.raises(alertgate.AuthError) as info:
        v.check_headers(headers, now=1_700_009_999)
    assert info.value.code == "timestamp_out_of_tolerance"
    assert alertgate.Verifier("github", "k", tolerance=5).tolerance is None  # signs no timestamp
    assert alertgate.Verifier("github", "k").delivery_id({"X-GitHub-Delivery": "d-1"}) == "d-1"


def test_v1a_keys_sign_and_verify() -> None:
    sk = "whsk_7gZg/kI+/LRAX3i0Q3stuZ6jlKLNrq6jefhJK1Fabf8="
    pk = "whpk_j/Jvq230xw2p+391bA5Cm2+An/AKys3Bj/Pl49pMvBw="
    headers = alertgate.sign("standard_webhooks", sk, b"x", timestamp=1_700_000_000, id="m")
    assert headers["webhook-signature"].startswith("v1a,")
    alertgate.Verifier("standard_webhooks", ["whsec_c2VjcmV0", pk]).verify(headers, b"x", now=1_700_000_000)
    with pytest.raises(alertgate.AuthError):
        alertgate.verify("standard_webhooks", pk, headers, b"y", now=1_700_000_000)
