#!/usr/bin/env python3
"""Writes tests/vectors/signatures/<scheme>.jsonl: signature vectors computed
independently of alertgate: HMAC and Basic with Python's standard library (hmac,
hashlib, base64); ed25519 (Standard Webhooks v1a) and SNS's RSA signatures and
X.509 certificate with the `cryptography` package (`make vectors-check` installs it
in a venv of its own).

Each line: {"name", "scheme", "secrets", "options", "headers", "body", "now",
"expect": "valid" | <error code>, "sign": {"timestamp", "id"} (optional: alertgate's
sign() must reproduce "headers" exactly), "certificate": PEM text (sns: verify with
it)}. Run it from anywhere; output is deterministic: the SNS test keys are kept
beside it (sns_test_key.pem, sns_other_key.pem), made once if missing.
"""
import base64
import datetime
import hashlib
import hmac
import json
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from cryptography.x509.oid import NameOID

NOW = 1_700_000_000
HERE = os.path.dirname(os.path.abspath(__file__))
BODY = '{"receiver":"ops","status":"firing","alerts":[{"labels":{"alertname":"HighCPU"}}]}'
UNICODE = '{"title":"🔥 数据库连接失败 — Ошибка","note":"tab\\tand \\u00e9"}'


def mac(key: bytes, msg: bytes) -> bytes:
    return hmac.new(key, msg, hashlib.sha256).digest()


def hexmac(key: str, msg: str) -> str:
    return mac(key.encode(), msg.encode()).hex()


def case(name, scheme, secrets, headers, body, expect, options=None, now=NOW, sign=None):
    line = {
        "name": name,
        "scheme": scheme,
        "secrets": secrets,
        "options": options or {},
        "headers": headers,
        "body": body,
        "now": now,
        "expect": expect,
    }
    if sign is not None:
        line["sign"] = sign
    return line


def flip(sig: str) -> str:
    """The same signature with its last hex digit changed."""
    return sig[:-1] + ("0" if sig[-1] != "0" else "1")


def body_only(scheme, header, prefix, alt_header=None):
    """Schemes that sign the body alone with a hex signature."""
    s = "s3cret-" + scheme
    sig = lambda body, key=s: prefix + hexmac(key, body)
    out = [
        case("valid", scheme, [s], [[header, sig(BODY)]], BODY, "valid", sign={}),
        case("valid_empty_body", scheme, [s], [[header, sig("")]], "", "valid", sign={}),
        case("valid_unicode_body", scheme, [s], [[header, sig(UNICODE)]], UNICODE, "valid", sign={}),
        case("valid_rotated_secret", scheme, ["new-" + s, s], [[header, sig(BODY)]], BODY, "valid"),
        case("valid_header_case", scheme, [s], [[header.upper(), sig(BODY)]], BODY, "valid"),
        case("valid_uppercase_hex", scheme, [s], [[header, prefix + hexmac(s, BODY).upper()]], BODY, "valid"),
        case("wrong_secret", scheme, [s], [[header, sig(BODY, "other")]], BODY, "signature_mismatch"),
        case("body_byte_changed", scheme, [s], [[header, sig(BODY)]], BODY.replace("HighCPU", "HighCPV"), "signature_mismatch"),
        case("signature_digit_changed", scheme, [s], [[header, flip(sig(BODY))]], BODY, "signature_mismatch"),
        case("truncated_signature", scheme, [s], [[header, sig(BODY)[:-2]]], BODY, "malformed_signature"),
        case("empty_signature", scheme, [s], [[header, prefix]], BODY, "malformed_signature"),
        case("empty_header", scheme, [s], [[header, ""]], BODY, "malformed_signature"),
        case("missing_header", scheme, [s], [["X-Other", sig(BODY)]], BODY, "missing_credentials"),
        case("not_hex", scheme, [s], [[header, prefix + "z" * 64]], BODY, "malformed_signature"),
        case("empty_secret", scheme, ["  "], [[header, sig(BODY)]], BODY, "invalid_config"),
        case("option_not_applicable", scheme, [s], [[header, sig(BODY)]], BODY, "invalid_config", options={"timestamp_unit": "ms"}),
    ]
    if prefix:
        out.append(case("missing_prefix", scheme, [s], [[header, hexmac(s, BODY)]], BODY, "malformed_signature"))
        out.append(case("wrong_prefix", scheme, [s], [[header, "sha1=" + hexmac(s, BODY)]], BODY, "malformed_signature"))
    if alt_header:
        out.append(case("valid_alternate_header", scheme, [s], [[alt_header, sig(BODY)]], BODY, "valid"))
    return out


def timestamped(scheme, build, options=None, unit=1):
    """Schemes that sign a timestamp. build(secret, ts, body, sig_override) -> headers."""
    s = "s3cret-" + scheme
    opts = options or {}
    ts = NOW * unit
    return [
        case("valid", scheme, [s], build(s, ts, BODY), BODY, "valid", opts, sign={"timestamp": NOW, "id": "msg_0001"}),
        case("valid_empty_body", scheme, [s], build(s, ts, ""), "", "valid", opts, sign={"timestamp": NOW, "id": "msg_0001"}),
        case("valid_unicode_body", scheme, [s], build(s, ts, UNICODE), UNICODE, "valid", opts),
        case("valid_rotated_secret", scheme, ["new-" + s, s], build(s, ts, BODY), BODY, "valid", opts),
        case("valid_within_tolerance", scheme, [s], build(s, ts - 299 * unit, BODY), BODY, "valid", opts),
        case("wrong_secret", scheme, [s], build("other", ts, BODY), BODY, "signature_mismatch", opts),
        case("body_byte_changed", scheme, [s], build(s, ts, BODY), BODY + " ", "signature_mismatch", opts),
        case("stale_timestamp", scheme, [s], build(s, ts - 301 * unit, BODY), BODY, "timestamp_out_of_tolerance", opts),
        case("future_timestamp", scheme, [s], build(s, ts + 301 * unit, BODY), BODY, "timestamp_out_of_tolerance", opts),
        case("custom_tolerance", scheme, [s], build(s, ts - 3600 * unit, BODY), BODY, "valid", {**opts, "tolerance": 7200}),
        case("non_numeric_timestamp", scheme, [s], build(s, "17e8", BODY), BODY, "malformed_signature", opts),
        case("negative_timestamp", scheme, [s], build(s, "-" + str(ts), BODY), BODY, "malformed_signature", opts),
        case("empty_signature", scheme, [s], build(s, ts, BODY, ""), BODY, "malformed_signature", opts),
    ]


def slack():
    def build(key, ts, body, sig=None):
        value = "v0=" + hexmac(key, f"v0:{ts}:{body}") if sig is None else sig
        return [["X-Slack-Request-Timestamp", str(ts)], ["X-Slack-Signature", value]]

    out = timestamped("slack", build)
    # Slack's documented example.
    body = ("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
            "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
            "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
            "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
    out.append(case("documented_example", "slack", ["8f742231b10e8888abcd99yyyzzz85a5"],
                    [["X-Slack-Request-Timestamp", "1531420618"],
                     ["X-Slack-Signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"]],
                    body, "valid", now=1531420618 + 10))
    out.append(case("missing_timestamp", "slack", ["k"], [["X-Slack-Signature", "v0=" + "0" * 64]], BODY, "missing_credentials"))
    return out


def stripe():
    def build(key, ts, body, sig=None):
        value = hexmac(key, f"{ts}.{body}") if sig is None else sig
        return [["Stripe-Signature", f"t={ts},v1={value}"]]

    s = "whsec_test_5f3a9c"
    out = timestamped("stripe", build)
    good = hexmac(s, f"{NOW}.{BODY}")
    out += [
        case("valid_one_of_several_v1", "stripe", [s], [["Stripe-Signature", f"t={NOW},v1={'ab' * 32},v1={good},v0={'cd' * 32}"]], BODY, "valid"),
        case("only_v0_counts_not", "stripe", [s], [["Stripe-Signature", f"t={NOW},v0={good}"]], BODY, "malformed_signature"),
        case("missing_t", "stripe", [s], [["Stripe-Signature", f"v1={good}"]], BODY, "malformed_signature"),
        case("whsec_is_the_key", "stripe", [s], [["Stripe-Signature", f"t={NOW},v1=" + mac(s.encode(), f'{NOW}.{BODY}'.encode()).hex()]], BODY, "valid"),
    ]
    return out


def standard_webhooks():
    raw = b"standard-webhooks-test-key-0123"
    secret = "whsec_" + base64.b64encode(raw).decode()

    def build(key, ts, body, sig=None, msg_id="msg_0001"):
        k = raw if key == "s3cret-standard_webhooks" else key.encode()
        value = "v1," + base64.b64encode(mac(k, f"{msg_id}.{ts}.{body}".encode())).decode() if sig is None else sig
        return [["webhook-id", msg_id], ["webhook-timestamp", str(ts)], ["webhook-signature", value]]

    rotated = "whsec_" + base64.b64encode(b"the-next-key").decode()
    swap = {"s3cret-standard_webhooks": secret, "new-s3cret-standard_webhooks": rotated}
    out = [dict(c, secrets=[swap.get(x, x) for x in c["secrets"]])
           for c in timestamped("standard_webhooks", build)]
    for c in out:
        if c["name"] == "wrong_secret":
            c["headers"] = build("other-key", NOW, BODY)
    good = build("s3cret-standard_webhooks", NOW, BODY)[2][1]
    out += [
        # The Standard Webhooks / Svix published vector.
        case("documented_example", "standard_webhooks", ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
             [["webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"], ["webhook-timestamp", "1614265330"],
              ["webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="]],
             '{"test": 2432232314}', "valid", now=1614265330),
        # Header sets, as the Svix SDKs read them: svix-* first, else webhook-*
        # as a whole; never mixed. The unbranded scheme reads webhook-* only.
        case("svix_headers", "svix", [secret],
             [["svix-id", "msg_0001"], ["svix-timestamp", str(NOW)], ["svix-signature", good]], BODY, "valid", sign={"timestamp": NOW, "id": "msg_0001"}),
        case("svix_falls_back_to_webhook_headers", "svix", [secret],
             build("s3cret-standard_webhooks", NOW, BODY), BODY, "valid"),
        case("svix_right_webhook_wrong", "svix", [secret],
             [["svix-id", "msg_0001"], ["svix-timestamp", str(NOW)], ["svix-signature", good],
              ["webhook-id", "msg_0001"], ["webhook-timestamp", str(NOW)], ["webhook-signature", flip_b64(good)]], BODY, "valid"),
        case("svix_wrong_webhook_right", "svix", [secret],
             [["svix-id", "msg_0001"], ["svix-timestamp", str(NOW)], ["svix-signature", flip_b64(good)],
              ["webhook-id", "msg_0001"], ["webhook-timestamp", str(NOW)], ["webhook-signature", good]], BODY, "signature_mismatch"),
        case("svix_sets_never_mixed", "svix", [secret],
             [["svix-id", "msg_0001"], ["webhook-timestamp", str(NOW)], ["webhook-signature", good]], BODY, "missing_credentials"),
        case("standard_reads_no_svix_headers", "standard_webhooks", [secret],
             [["svix-id", "msg_0001"], ["svix-timestamp", str(NOW)], ["svix-signature", good]], BODY, "missing_credentials"),
        case("standard_never_mixes", "standard_webhooks", [secret],
             [["webhook-id", "msg_0001"], ["svix-timestamp", str(NOW)], ["webhook-signature", good]], BODY, "missing_credentials"),
        case("one_of_several", "standard_webhooks", [secret],
             build("s3cret-standard_webhooks", NOW, BODY, sig=f"v1a,xyz v1,{base64.b64encode(b'x' * 32).decode()} {good}"), BODY, "valid"),
        case("empty_v1_bypass", "standard_webhooks", [secret],
             build("s3cret-standard_webhooks", NOW, BODY, sig="v1,"), BODY, "malformed_signature"),
        case("short_signature", "standard_webhooks", [secret],
             build("s3cret-standard_webhooks", NOW, BODY, sig="v1," + base64.b64encode(b"abc").decode()), BODY, "malformed_signature"),
        case("other_versions_only", "standard_webhooks", [secret],
             build("s3cret-standard_webhooks", NOW, BODY, sig=good.replace("v1,", "v2,")), BODY, "malformed_signature"),
        case("id_changed", "standard_webhooks", [secret],
             [["webhook-id", "msg_0002"], ["webhook-timestamp", str(NOW)], ["webhook-signature", good]], BODY, "signature_mismatch"),
        case("missing_id", "standard_webhooks", [secret],
             [["webhook-timestamp", str(NOW)], ["webhook-signature", good]], BODY, "missing_credentials"),
        case("secret_not_base64", "standard_webhooks", ["whsec_***"], [], BODY, "invalid_config"),
    ]
    return out + v1a()


def flip_b64(sig: str) -> str:
    """A `v1,<base64>` signature with its first base64 character changed."""
    version, b64 = sig.split(",", 1)
    return f"{version},{'B' if b64[0] != 'B' else 'C'}{b64[1:]}"


def v1a():
    """Standard Webhooks' asymmetric signatures: ed25519 over {id}.{ts}.{body}."""
    seed = hashlib.sha256(b"alertgate v1a test key").digest()
    key = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    other = ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"another key").digest())
    other_public = other.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    b64 = lambda b: base64.b64encode(b).decode()
    whpk, whsk = "whpk_" + b64(public), "whsk_" + b64(seed)
    hmac_secret = "whsec_" + b64(b"standard-webhooks-test-key-0123")

    def headers(ts=NOW, body=BODY, msg_id="msg_v1a", signer=key, sig=None, prefix="webhook"):
        value = sig or "v1a," + b64(signer.sign(f"{msg_id}.{ts}.{body}".encode()))
        return [[f"{prefix}-id", msg_id], [f"{prefix}-timestamp", str(ts)], [f"{prefix}-signature", value]]

    good = headers()[2][1]
    return [
        case("v1a_valid", "standard_webhooks", [whpk], headers(), BODY, "valid"),
        case("v1a_signed_by_secret_key", "standard_webhooks", [whsk], headers(), BODY, "valid",
             sign={"timestamp": NOW, "id": "msg_v1a"}),
        case("v1a_secret_key_with_public_half", "standard_webhooks", ["whsk_" + b64(seed + public)], headers(), BODY, "valid"),
        case("v1a_raw_public_key", "standard_webhooks", [b64(public)], headers(), BODY, "valid"),
        case("v1a_beside_hmac_secret", "standard_webhooks", [hmac_secret, whpk], headers(), BODY, "valid"),
        case("v1a_unicode_body", "standard_webhooks", [whpk], headers(body=UNICODE), UNICODE, "valid"),
        case("v1a_svix_headers", "svix", [whpk], headers(prefix="svix"), BODY, "valid"),
        case("v1a_wrong_key", "standard_webhooks", ["whpk_" + b64(other_public)], headers(), BODY, "signature_mismatch"),
        case("v1a_signed_by_another_key", "standard_webhooks", [whpk], headers(signer=other), BODY, "signature_mismatch"),
        case("v1a_body_changed", "standard_webhooks", [whpk], headers(), BODY + " ", "signature_mismatch"),
        case("v1a_id_changed", "standard_webhooks", [whpk],
             [["webhook-id", "msg_other"], ["webhook-timestamp", str(NOW)], ["webhook-signature", good]], BODY, "signature_mismatch"),
        case("v1a_hmac_secret_only", "standard_webhooks", [hmac_secret], headers(), BODY, "signature_mismatch"),
        case("v1a_expired", "standard_webhooks", [whpk], headers(ts=NOW - 600), BODY, "timestamp_out_of_tolerance"),
        case("v1a_short_signature", "standard_webhooks", [whpk], headers(sig="v1a," + b64(b"x" * 32)), BODY, "malformed_signature"),
        case("v1a_one_of_several", "standard_webhooks", [whpk],
             headers(sig=f"v1," + b64(b"y" * 32) + " " + good), BODY, "valid"),
        case("v1a_public_key_not_32_bytes", "standard_webhooks", ["whpk_" + b64(b"short")], [], BODY, "invalid_config"),
    ]


def basic():
    """HTTP Basic: `Authorization: Basic base64(user:password)`."""
    enc = lambda pair: "Basic " + base64.b64encode(pair.encode()).decode()
    s = "alertmanager:c0rrect horse"
    return [
        case("valid", "basic", [s], [["Authorization", enc(s)]], BODY, "valid", sign={}),
        case("valid_rotated", "basic", ["grafana:new-pass", s], [["Authorization", enc(s)]], BODY, "valid"),
        case("valid_lowercase_scheme", "basic", [s], [["authorization", "basic " + enc(s)[6:]]], BODY, "valid"),
        case("valid_colon_in_password", "basic", ["ops:pa:ss"], [["Authorization", enc("ops:pa:ss")]], BODY, "valid", sign={}),
        case("wrong_password", "basic", [s], [["Authorization", enc("alertmanager:wrong")]], BODY, "invalid_token"),
        case("wrong_user", "basic", [s], [["Authorization", enc("grafana:c0rrect horse")]], BODY, "invalid_token"),
        case("missing_header", "basic", [s], [], BODY, "missing_credentials"),
        case("bearer_not_basic", "basic", [s], [["Authorization", "Bearer " + s]], BODY, "invalid_token"),
        case("not_base64", "basic", [s], [["Authorization", "Basic %%%"]], BODY, "malformed_signature"),
        case("no_colon", "basic", [s], [["Authorization", "Basic " + base64.b64encode(b"alertmanager").decode()]], BODY, "malformed_signature"),
        case("secret_without_colon", "basic", ["just-a-password"], [], BODY, "invalid_config"),
    ]


def sns_key(name):
    """An RSA test key kept beside this script (made once, then reused, so that
    the vectors are the same on every run)."""
    path = os.path.join(HERE, name)
    if not os.path.exists(path):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        with open(path, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


def certificate(key):
    """A self-signed certificate for `key`, the same bytes on every run."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(0x5A5)
            .not_valid_before(datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc))
            .not_valid_after(datetime.datetime(2034, 1, 1, tzinfo=datetime.timezone.utc))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def sns():
    """AWS SNS messages of every type, SignatureVersion 1 (SHA1withRSA) and 2
    (SHA256withRSA), signed over their canonical strings."""
    key, other = sns_key("sns_test_key.pem"), sns_key("sns_other_key.pem")
    cert, other_cert = certificate(key), certificate(other)
    topic = "arn:aws:sns:eu-west-1:123456789012:alerts"
    cert_url = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem"
    subscribe = ("https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + topic +
                 "&Token=2336412f37fb687f5d51e6e2425ba1f30")

    def message(kind, version="1", subject=None, url=cert_url, signer=key, tamper=None, topic_arn=topic):
        m = {"Type": kind, "MessageId": "7f3c8e2a-5b1d-4c6e-9a0f-1d2e3f4a5b6c", "TopicArn": topic_arn,
             "Message": json.dumps({"AlarmName": "db-cpu-high", "NewStateValue": "ALARM"}),
             "Timestamp": "2023-11-14T22:13:20.000Z", "SignatureVersion": version, "SigningCertURL": url}
        if kind == "Notification":
            if subject is not None:
                m["Subject"] = subject
            fields = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
            m["UnsubscribeURL"] = "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + topic + ":1"
        else:
            m["Message"] = f"You have chosen to subscribe to the topic {topic}."
            m["Token"] = "2336412f37fb687f5d51e6e2425ba1f30"
            m["SubscribeURL"] = subscribe
            fields = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
        text = "".join(f"{k}\n{m[k]}\n" for k in fields if k in m)
        digest = hashes.SHA1() if version == "1" else hashes.SHA256()
        m["Signature"] = base64.b64encode(signer.sign(text.encode(), padding.PKCS1v15(), digest)).decode()
        if tamper:
            tamper(m)
        return json.dumps(m)

    def sns_case(name, body, expect, certificate_pem=cert, options=None, kind="Notification"):
        c = case(name, "sns", [], [["x-amz-sns-message-type", kind], ["x-amz-sns-topic-arn", topic]], body, expect,
                 options=options)
        c["certificate"] = certificate_pem
        return c

    def set_(k, v):
        return lambda m: m.__setitem__(k, v)

    evil = lambda host: f"https://{host}/SimpleNotificationService-0.pem"
    return [
        sns_case("notification_v1_subject", message("Notification", "1", subject="ALARM: db-cpu-high"), "valid"),
        sns_case("notification_v1_no_subject", message("Notification", "1"), "valid"),
        sns_case("notification_v2", message("Notification", "2", subject="ALARM: db-cpu-high"), "valid"),
        sns_case("subscription_confirmation_v1", message("SubscriptionConfirmation", "1"), "valid",
                 kind="SubscriptionConfirmation"),
        sns_case("subscription_confirmation_v2", message("SubscriptionConfirmation", "2"), "valid",
                 kind="SubscriptionConfirmation"),
        sns_case("unsubscribe_confirmation", message("UnsubscribeConfirmation", "2"), "valid",
                 kind="UnsubscribeConfirmation"),
        sns_case("pinned_topic", message("Notification", "2"), "valid", options={"topic_arn": topic}),
        sns_case("other_topic", message("Notification", "2"), "invalid_token",
                 options={"topic_arn": "arn:aws:sns:eu-west-1:123456789012:other"}),
        sns_case("wrong_certificate", message("Notification", "2"), "signature_mismatch", certificate_pem=other_cert),
        sns_case("signed_by_another_key", message("Notification", "1", signer=other), "signature_mismatch"),
        sns_case("message_changed", message("Notification", "2", tamper=set_("Message", "{}")), "signature_mismatch"),
        sns_case("subject_added", message("Notification", "2", tamper=set_("Subject", "hi")), "signature_mismatch"),
        sns_case("version_changed", message("Notification", "1", tamper=set_("SignatureVersion", "2")), "signature_mismatch"),
        sns_case("unknown_version", message("Notification", "1", tamper=set_("SignatureVersion", "3")), "malformed_signature"),
        sns_case("signature_not_base64", message("Notification", "1", tamper=set_("Signature", "***")), "malformed_signature"),
        sns_case("cert_host_evil", message("Notification", "2", url=evil("sns.evil.com")), "malformed_signature"),
        sns_case("cert_host_suffix", message("Notification", "2", url=evil("sns.us-east-1.amazonaws.com.evil.com")),
                 "malformed_signature"),
        sns_case("cert_http", message("Notification", "2", url=cert_url.replace("https://", "http://")), "malformed_signature"),
        sns_case("cert_not_pem", message("Notification", "2", url=cert_url[:-4] + ".txt"), "malformed_signature"),
        sns_case("certificate_garbage", message("Notification", "2"), "malformed_signature", certificate_pem="not a cert"),
        sns_case("unknown_type", message("Notification", "2", tamper=set_("Type", "Other")), "malformed_signature"),
        dict(sns_case("no_message_type_header", message("Notification", "2"), "missing_credentials"), headers=[]),
        sns_case("secrets_not_taken", message("Notification", "2"), "invalid_config") | {"secrets": ["x"]},
    ]


def pagerduty():
    s = "pd+key/LooksLikeBase64=="
    good = hexmac(s, BODY)
    h = "X-PagerDuty-Signature"
    return [
        case("valid", "pagerduty", [s], [[h, "v1=" + good]], BODY, "valid", sign={}),
        case("valid_empty_body", "pagerduty", [s], [[h, "v1=" + hexmac(s, "")]], "", "valid"),
        case("valid_unicode_body", "pagerduty", [s], [[h, "v1=" + hexmac(s, UNICODE)]], UNICODE, "valid"),
        case("valid_one_of_several", "pagerduty", [s], [[h, f"v1={'0' * 64}, v1={good}"]], BODY, "valid"),
        case("valid_rotated_secret", "pagerduty", ["new", s], [[h, "v1=" + good]], BODY, "valid"),
        case("secret_is_not_base64_decoded", "pagerduty", [s],
             [[h, "v1=" + mac(base64.b64decode("pd+key/LooksLikeBase64=="), BODY.encode()).hex()]], BODY, "signature_mismatch"),
        case("wrong_secret", "pagerduty", [s], [[h, "v1=" + hexmac("other", BODY)]], BODY, "signature_mismatch"),
        case("body_byte_changed", "pagerduty", [s], [[h, "v1=" + good]], BODY[:-1], "signature_mismatch"),
        case("truncated_signature", "pagerduty", [s], [[h, "v1=" + good[:40]]], BODY, "malformed_signature"),
        case("empty_signature", "pagerduty", [s], [[h, "v1="]], BODY, "malformed_signature"),
        case("missing_prefix", "pagerduty", [s], [[h, good]], BODY, "malformed_signature"),
        case("empty_header", "pagerduty", [s], [[h, " "]], BODY, "malformed_signature"),
        case("missing_header", "pagerduty", [s], [], BODY, "missing_credentials"),
    ]


def grafana():
    s = "grafana-hmac-secret"
    out = body_only("grafana", "X-Grafana-Alerting-Signature", "")
    out = [c for c in out if c["name"] != "option_not_applicable"]

    def build(key, ts, body, sig=None):
        value = hexmac(key, f"{ts}:{body}") if sig is None else sig
        return [["X-Grafana-Alerting-Signature-Timestamp", str(ts)], ["X-Grafana-Alerting-Signature", value]]

    opts = {"timestamp_header": "X-Grafana-Alerting-Signature-Timestamp"}
    out += [dict(c, name="ts_" + c["name"]) for c in timestamped("grafana", build, opts)]
    out.append(case("custom_header", "grafana", [s], [["X-My-Sig", hexmac(s, BODY)]], BODY, "valid", {"signature_header": "X-My-Sig"}, sign={}))
    out.append(case("prefix_not_applicable", "grafana", [s], [], BODY, "invalid_config", {"prefix": "sha256="}))
    return out


def hmac_sha256():
    s = "generic-hmac"
    out = body_only("hmac_sha256", "X-Webhook-Signature", "")
    out = [c for c in out if c["name"] != "option_not_applicable"]
    pre = {"signature_header": "X-Sig", "prefix": "sha256="}
    out.append(case("prefix_and_header", "hmac_sha256", [s], [["X-Sig", "sha256=" + hexmac(s, BODY)]], BODY, "valid", pre, sign={}))
    out.append(case("prefix_missing", "hmac_sha256", [s], [["X-Sig", hexmac(s, BODY)]], BODY, "malformed_signature", pre))

    for template, sep in (("{ts}.{body}", "."), ("{ts}:{body}", ":")):
        opts = {"signature_header": "X-Sig", "timestamp_header": "X-Ts", "signed_content": template}

        def build(key, ts, body, sig=None, sep=sep):
            value = hexmac(key, f"{ts}{sep}{body}") if sig is None else sig
            return [["X-Ts", str(ts)], ["X-Sig", value]]

        tag = "dot" if sep == "." else "colon"
        out += [dict(c, name=f"{tag}_{c['name']}") for c in timestamped("hmac_sha256", build, opts)]

    ms = {"signature_header": "X-Sig", "timestamp_header": "X-Ts", "timestamp_unit": "ms"}

    def build_ms(key, ts, body, sig=None):
        value = hexmac(key, f"{ts}.{body}") if sig is None else sig
        return [["X-Ts", str(ts)], ["X-Sig", value]]

    out += [dict(c, name="ms_" + c["name"]) for c in timestamped("hmac_sha256", build_ms, ms, unit=1000)]

    idt = {"signature_header": "X-Sig", "timestamp_header": "X-Ts", "id_header": "X-Id", "signed_content": "{id}.{ts}.{body}"}
    out.append(case("id_ts_body", "hmac_sha256", [s],
                    [["X-Id", "msg_0001"], ["X-Ts", str(NOW)], ["X-Sig", hexmac(s, f"msg_0001.{NOW}.{BODY}")]],
                    BODY, "valid", idt, sign={"timestamp": NOW, "id": "msg_0001"}))
    out.append(case("ts_header_without_signed_ts", "hmac_sha256", [s], [], BODY, "invalid_config",
                    {"timestamp_header": "X-Ts", "signed_content": "{body}"}))
    out.append(case("signed_ts_without_header", "hmac_sha256", [s], [], BODY, "invalid_config", {"signed_content": "{ts}.{body}"}))
    out.append(case("bad_template", "hmac_sha256", [s], [], BODY, "invalid_config", {"signed_content": "{body}{ts}"}))
    return out


def tokens():
    out = []
    for scheme, header, fmt in (("bearer", "Authorization", "Bearer {}"), ("shared_secret", "X-Webhook-Secret", "{}")):
        s = "tok-" + scheme
        v = lambda t: fmt.format(t)
        out += [
            case("valid", scheme, [s], [[header, v(s)]], BODY, "valid", sign={}),
            case("valid_rotated", scheme, ["new-" + s, s], [[header, v(s)]], BODY, "valid"),
            case("valid_header_case", scheme, [s], [[header.lower(), v(s)]], BODY, "valid"),
            case("wrong_token", scheme, [s], [[header, v(s + "x")]], BODY, "invalid_token"),
            case("prefix_of_token", scheme, [s], [[header, v(s[:-1])]], BODY, "invalid_token"),
            case("missing_header", scheme, [s], [], BODY, "missing_credentials"),
            case("empty_secret", scheme, [""], [[header, v("")]], BODY, "invalid_config"),
        ]
    out += [
        case("lowercase_bearer", "bearer", ["t"], [["Authorization", "bearer t"]], BODY, "valid"),
        case("basic_not_bearer", "bearer", ["t"], [["Authorization", "Basic dDp0"]], BODY, "invalid_token"),
        case("bearer_without_token", "bearer", ["t"], [["Authorization", "Bearer "]], BODY, "invalid_token"),
        case("custom_header", "shared_secret", ["t"], [["X-Api-Key", "t"]], BODY, "valid", {"signature_header": "X-Api-Key"}, sign={}),
        case("prefix_not_applicable", "bearer", ["t"], [], BODY, "invalid_config", {"prefix": "x"}),
    ]
    return out


def github():
    out = body_only("github", "X-Hub-Signature-256", "sha256=")
    # GitHub's documented example.
    out.append(case("documented_example", "github", ["It's a Secret to Everybody"],
                    [["X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"]],
                    "Hello, World!", "valid", sign={}))
    return out


def main():
    files = {
        "github": github(),
        "opsknight": body_only("opsknight", "X-Webhook-Signature", "sha256=", alt_header="X-Signature"),
        "opshift": body_only("opshift", "X-Webhook-Signature", ""),
        "sentry": body_only("sentry", "Sentry-Hook-Signature", ""),
        "grafana": grafana(),
        "pagerduty": pagerduty(),
        "slack": slack(),
        "stripe": stripe(),
        "standard_webhooks": standard_webhooks(),
        "basic": basic(),
        "sns": sns(),
        "hmac_sha256": hmac_sha256(),
        "tokens": tokens(),
    }
    for name, cases in files.items():
        with open(os.path.join(HERE, name + ".jsonl"), "w", encoding="utf-8") as f:
            for c in cases:
                f.write(json.dumps(c, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
