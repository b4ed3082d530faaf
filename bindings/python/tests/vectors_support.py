"""Shared helpers: the repository's shared vectors, read as every binding reads them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
VECTORS = ROOT / "tests" / "vectors"


def payload_cases() -> list[tuple[str, Path]]:
    """(group/case, body path) for every payload vector."""
    out = []
    for group in sorted(p for p in VECTORS.iterdir() if p.is_dir() and p.name != "signatures"):
        for body in sorted(group.iterdir()):
            if body.name.endswith((".expected.json", ".request.json")):
                continue
            out.append((f"{group.name}/{body.name.rsplit('.', 1)[0]}", body))
    return out


def request_of(body: Path) -> dict[str, Any]:
    req = body.with_name(body.name.rsplit(".", 1)[0] + ".request.json")
    return json.loads(req.read_text()) if req.exists() else {}


def expected_of(body: Path) -> dict[str, Any]:
    exp = body.with_name(body.name.rsplit(".", 1)[0] + ".expected.json")
    result: dict[str, Any] = json.loads(exp.read_text())
    return result


def signature_cases() -> list[dict[str, Any]]:
    cases = []
    for f in sorted((VECTORS / "signatures").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            case["id"] = f"{f.stem}/{case['scheme']}/{case['name']}"
            cases.append(case)
    return cases
