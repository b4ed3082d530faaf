#!/usr/bin/env python3
"""Writes tests/vectors/signatures/<scheme>.jsonl: signature vectors computed
independently of alertgate with Python's standard library (hmac, hashlib, base64).

Each line: {"name", "scheme", "secrets", "options", "headers", "body", "now",
"expect": "valid" | <error code>, "sign": {"timestamp", "id"} (optional: alertgate's
sign() must reproduce "headers" exactly)}. Run it from anywhere; output is deterministic.
"""
import base64
import hashlib
import hmac
import json
import os

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
        case("svix_headers", "svix", [secret],
             [["svix-id", "msg_0001"], ["svix-timestamp", str(NOW)], ["svix-signature", good]], BODY, "valid"),
        case("mixed_fallback_headers", "standard_webhooks", [secret],
             [["webhook-id", "msg_0001"], ["svix-timestamp", str(NOW)], ["webhook-signature", good]], BODY, "valid"),
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
    return out


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
        "hmac_sha256": hmac_sha256(),
        "tokens": tokens(),
    }
    for name, cases in files.items():
        with open(os.path.join(HERE, name + ".jsonl"), "w", encoding="utf-8") as f:
            for c in cases:
                f.write(json.dumps(c, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
