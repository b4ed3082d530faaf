"""Every signature vector: Verifier/verify valid or the expected code; sign reproduces headers."""

from __future__ import annotations

from typing import Any

import pytest

import alertgate
from vectors_support import signature_cases

CASES = signature_cases()
OPTION_KEYS = ("signature_header", "timestamp_header", "timestamp_unit", "id_header", "prefix", "signed_content")


def options(case: dict[str, Any]) -> dict[str, Any]:
    o = case["options"]
    kw: dict[str, Any] = {k: o[k] for k in OPTION_KEYS if k in o}
    kw["tolerance"] = o.get("tolerance", 300)
    return kw


def test_there_are_signature_vectors() -> None:
    assert len(CASES) >= 200


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_signature_vector(case: dict[str, Any]) -> None:
    try:
        v = alertgate.Verifier(case["scheme"], case["secrets"], **options(case))
        v.verify(case["headers"], case["body"], now=case["now"])
        got = "valid"
    except alertgate.AlertgateError as e:
        got = e.code
    assert got == case["expect"]
    if "sign" in case:
        kw = {k: v for k, v in options(case).items() if k != "tolerance"}
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
