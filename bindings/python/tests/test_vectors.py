"""Every shared vector through `ingest(...).to_dict()` equals the expected JSON, and
its alerts' attributes are the same values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import alertgate
from vectors_support import expected_of, payload_cases, request_of

CASES = payload_cases()
# An alert's attributes: its canonical fields, `links` apart (Link objects).
ALERT_FIELDS = (
    "title", "description", "severity", "severity_raw", "status", "dedup_key", "dedup_basis",
    "service", "host", "labels", "annotations", "started_at", "ended_at", "source_ref",
)  # fmt: skip


def attributes(a: alertgate.Alert) -> dict[str, Any]:
    """An alert's attributes, as its canonical JSON object."""
    d: dict[str, Any] = {k: getattr(a, k) for k in ALERT_FIELDS}
    d["links"] = [{"rel": link.rel, "href": link.href} for link in a.links]
    return d


def run(body: Path) -> dict[str, Any]:
    req = request_of(body)
    opts = req.get("options", {})
    try:
        result = alertgate.ingest(
            body.read_bytes(),
            content_type=req.get("content_type"),
            headers=[(n, v) for n, v in req.get("headers", [])],
            source=opts.get("source"),
            max_tier=opts.get("max_tier", 3),
            strict=opts.get("strict", False),
            mapping=opts.get("mapping"),
        )
    except alertgate.AlertgateError as e:
        return {"error": {"code": e.code, "message": str(e), "http_status": e.http_status}}
    d = result.to_dict()
    assert [attributes(a) for a in result] == d["alerts"]
    return d


def test_there_are_vectors() -> None:
    assert len(CASES) >= 150


@pytest.mark.parametrize(("name", "body"), CASES, ids=[c[0] for c in CASES])
def test_vector(name: str, body: Path) -> None:
    assert run(body) == expected_of(body)


@pytest.mark.parametrize(("name", "body"), CASES[:40], ids=[c[0] for c in CASES[:40]])
def test_to_json_is_the_same_document(name: str, body: Path) -> None:
    req = request_of(body)
    opts = req.get("options", {})
    try:
        result = alertgate.ingest(
            body.read_bytes(),
            content_type=req.get("content_type"),
            headers=dict(req.get("headers", [])),
            source=opts.get("source"),
            max_tier=opts.get("max_tier", 3),
            strict=opts.get("strict", False),
            mapping=json.dumps(opts["mapping"]) if "mapping" in opts else None,
        )
    except alertgate.AlertgateError:
        return
    assert json.loads(result.to_json()) == result.to_dict()
