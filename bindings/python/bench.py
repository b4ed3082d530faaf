#!/usr/bin/env python3
"""Benchmark: ``alertgate.ingest`` against parsing alone and against parsing plus a
straightforward pure-Python normalisation of the same payloads.

    make bench-python                                  (venv, release build, then this)
    python bindings/python/bench.py --rounds 61 --min-time 0.1     (longer, steadier)

Variants, on the same bytes, interleaved round-robin so drift hits them all alike:

    alertgate.ingest            ingest(body, content_type=..., headers=...): the lazy
                                Ingest object (Python objects are built on access)
    alertgate.ingest.to_dict    ingest(...).to_dict(): the whole result as Python objects
    json.loads                  the stdlib parser alone
    orjson.loads                orjson alone
    json.loads + normalize      the stdlib parser, then normalize() below
    orjson.loads + normalize    orjson, then normalize() below (the target's baseline)

Then reading `alert.title` and `alert.labels["severity"]` from a result against the
same lookups in the baseline's dict. The closing table gives the targets: ingest at
most 0.5x and to_dict at most 1x the time of orjson + normalize, attribute reads no
slower than the dict lookups.

Each round times one batch of calls per variant (a batch lasts at least --min-time);
a variant's figure is the median per-call time over the rounds. Figures are read as
ratios against a baseline of the same run: the machine is shared and noisy, absolute
times are only there to read the ratios. The garbage collector stays on (as in a
server), collected before every batch.

The normalisation yields exactly what alertgate yields for these payloads (checked
before timing), so the baselines do the same work. It is a port of ``normalise`` in
bindings/node/bench/ingest.mjs, plus Grafana unified alerting's extra fields.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any, NamedTuple, Optional

import orjson

import alertgate

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"
MIB = 1 << 20

# ---------------------------------------------------------------- payloads

# The alert of benches/src/lib.rs `alertmanager(n)`, character for character (the same
# format string: `{{`/`}}` are literal braces, `\u0026` and `\"` stay JSON escapes).
_AM_ALERT = r'{{"status":"firing","labels":{{"alertname":"HighRequestLatency","env":"prod","instance":"checkout-api-{i:04}.prod.internal:8080","job":"checkout-api","service":"checkout","severity":"warning","team":"payments"}},"annotations":{{"description":"p99 latency for checkout-api instance {i} was 1.84s over the last 10 minutes (threshold 1s); upstream payment-gateway responses dominate the tail.","runbook_url":"https://runbooks.internal.example.org/checkout/latency","summary":"checkout-api p99 latency above 1s on instance {i}"}},"startsAt":"2024-05-14T10:02:16.907Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus-0.mon.internal:9090/graph?g0.expr=histogram_quantile%280.99%2C+sum+by+%28le%29+%28rate%28http_request_duration_seconds_bucket%7Bjob%3D%22checkout-api%22%7D%5B5m%5D%29%29%29+%3E+1\u0026g0.tab=1","fingerprint":"{i:016x}"}}'
_AM_GROUP = r'{{"receiver":"ops","status":"firing","alerts":[{alerts}],"groupLabels":{{"alertname":"HighRequestLatency"}},"commonLabels":{{"alertname":"HighRequestLatency","env":"prod"}},"commonAnnotations":{{}},"externalURL":"http://alertmanager.mon.internal:9093","version":"4","groupKey":"{{}}:{{alertname=\"HighRequestLatency\"}}","truncatedAlerts":0}}'


def alertmanager(n: int) -> bytes:
    """An Alertmanager group of `n` distinct alerts (about 1.3 KB each)."""
    alerts = ",".join(_AM_ALERT.format(i=i) for i in range(n))
    return _AM_GROUP.format(alerts=alerts).encode()


def alertmanager_1mb() -> bytes:
    """The largest Alertmanager group under the 1 MiB body limit."""
    per = len(alertmanager(2)) - len(alertmanager(1))
    n = MIB // per
    while len(alertmanager(n)) > MIB:
        n -= 1
    return alertmanager(n)


class Payload(NamedTuple):
    name: str
    body: bytes
    content_type: Optional[str]
    headers: dict[str, str]


def vector(path: str) -> Payload:
    """A vector's body with the content type and headers of its `.request.json`."""
    body_path = VECTORS / path
    req_path = body_path.with_name(body_path.name.removesuffix(".json") + ".request.json")
    req: dict[str, Any] = json.loads(req_path.read_text()) if req_path.exists() else {}
    headers = {str(k): str(v) for k, v in req.get("headers", [])}
    return Payload(path, body_path.read_bytes(), req.get("content_type"), headers)


def payloads() -> list[Payload]:
    """The payloads of the criterion benches (benches/benches/ingest.rs), same bytes."""
    am = {"User-Agent": "Alertmanager/0.27.0"}
    ct = "application/json"
    single = vector("alertmanager/firing_single.json")
    assert single.headers == am and single.content_type == ct, single
    return [
        single._replace(name="alertmanager, 1 alert"),
        Payload("alertmanager, 50 alerts", alertmanager(50), ct, am),
        Payload("alertmanager, largest < 1 MiB", alertmanager_1mb(), ct, am),
        vector("grafana/unified_multi.json")._replace(name="grafana, 2 alerts"),
    ]


# ---------------------------------------------------------------- the pure-Python baseline

SEVERITY: dict[str, str] = {
    "critical": "critical", "crit": "critical", "fatal": "critical", "emergency": "critical",
    "page": "critical", "high": "critical", "p1": "critical", "sev0": "critical",
    "error": "error", "err": "error", "major": "error", "p2": "error", "sev1": "error",
    "warning": "warning", "warn": "warning", "medium": "warning", "moderate": "warning",
    "p3": "warning", "sev2": "warning",
    "info": "info", "information": "info", "informational": "info", "low": "info",
    "minor": "info", "p4": "info", "p5": "info", "sev3": "info", "sev4": "info", "ok": "info",
}  # fmt: skip
STATUS: dict[str, str] = {"firing": "triggered", "resolved": "resolved"}
# Grafana unified alerting's per-alert URLs, in the order alertgate lists them.
GRAFANA_URLS = (
    ("generatorURL", "generator"),
    ("dashboardURL", "dashboard"),
    ("panelURL", "panel"),
    ("silenceURL", "silence"),
    ("imageURL", "image"),
)
AM_URLS = (("generatorURL", "generator"),)


def _str(v: object) -> Optional[str]:
    return v if isinstance(v, str) and v != "" else None


def _sorted(o: object) -> dict[str, str]:
    if not isinstance(o, dict):
        return {}
    return {k: o[k] for k in sorted(o) if isinstance(o[k], str)}


def _time(t: object) -> Optional[str]:
    return t if isinstance(t, str) and t != "" and not t.startswith("0001-01-01") else None


def _alert(a: dict[str, Any], p: dict[str, Any], grafana: bool) -> dict[str, Any]:
    labels = _sorted(a.get("labels"))
    annotations = _sorted(a.get("annotations"))
    group_status = p.get("status")
    raw_status = a.get("status") if a.get("status") is not None else group_status
    status = STATUS.get(str(raw_status or "").strip().lower(), "triggered")
    raw = _str(labels.get("severity"))
    severity = (SEVERITY.get(raw.strip().lower()) if raw else None) or (
        "info" if status == "resolved" else "warning"
    )
    links = []
    for field, rel in GRAFANA_URLS if grafana else AM_URLS:
        href = _str(a.get(field))
        if href:
            links.append({"rel": rel, "href": href})
    if _str(annotations.get("runbook_url")):
        links.append({"rel": "runbook", "href": annotations["runbook_url"]})
    if _str(p.get("externalURL")):
        links.append({"rel": "external", "href": p["externalURL"]})
    title = labels.get("alertname")
    description = annotations.get("description")
    if description is None:
        description = annotations.get("summary")
    out_annotations = annotations
    if grafana:
        # Grafana's evaluated values, as alertgate renders them into the annotations.
        extra = dict(annotations)
        values = a.get("values")
        if isinstance(values, dict) and values:
            extra["values"] = ", ".join(f"{k}={v}" for k, v in values.items())
        if _str(a.get("valueString")):
            extra["value_string"] = a["valueString"]
        out_annotations = _sorted(extra)
    return {
        "title": title if title is not None else annotations.get("summary"),
        "description": description,
        "severity": severity,
        "severity_raw": raw,
        "status": status,
        "dedup_key": a.get("fingerprint"),
        "dedup_basis": "vendor",
        "service": _str(labels.get("service")),
        "host": _str(labels.get("instance")),
        "labels": labels,
        "annotations": out_annotations,
        "started_at": _time(a.get("startsAt")),
        "ended_at": _time(a.get("endsAt")) if status == "resolved" else None,
        "links": links,
        "source_ref": a.get("fingerprint"),
    }


def normalize(p: Any, headers: Mapping[str, str]) -> dict[str, Any]:
    """What a hand-written receiver does: pick fields, map words, sort, link."""
    if not isinstance(p, dict):
        raise ValueError("expected a JSON object")
    ua = headers.get("User-Agent", "")
    grafana = ua.startswith("Grafana")
    alerts = p.get("alerts")
    if grafana:
        source, reason, by_header = "grafana", "User-Agent starts with Grafana", True
    else:
        source, reason = "alertmanager", "User-Agent starts with Alertmanager/"
        by_header = ua.startswith("Alertmanager/")
    return {
        "source": source,
        "detected_by": "header" if by_header else "shape",
        "detection_reason": reason,
        "tier": None,
        "group_key": _str(p.get("groupKey")),
        "notice": None,
        "annotations": {},
        "alerts": [_alert(a, p, grafana) for a in alerts if isinstance(a, dict)]
        if isinstance(alerts, list)
        else [],
        "warnings": [],
    }


def check(pl: Payload) -> None:
    """The baseline yields alertgate's result, key order of labels/annotations included."""
    want = alertgate.ingest(pl.body, content_type=pl.content_type, headers=pl.headers).to_dict()
    for loads in (json.loads, orjson.loads):
        got = normalize(loads(pl.body), pl.headers)
        if got != want:
            for key in sorted(set(got) | set(want)):
                if key != "alerts" and got.get(key) != want.get(key):
                    print(f"  {key}: {got.get(key)!r} != {want.get(key)!r}", file=sys.stderr)
            for i, (g, w) in enumerate(zip(got["alerts"], want["alerts"])):
                for key in sorted(set(g) | set(w)):
                    if g.get(key) != w.get(key):
                        print(f"  alerts[{i}].{key}: {g.get(key)!r} != {w.get(key)!r}", file=sys.stderr)
            raise SystemExit(f"{pl.name}: the pure-Python normalisation differs from alertgate")
        for g, w in zip(got["alerts"], want["alerts"]):
            for key in ("labels", "annotations"):
                assert list(g[key]) == list(w[key]), (pl.name, key)


# ---------------------------------------------------------------- timing


def variants(pl: Payload) -> dict[str, Callable[[], object]]:
    body, ct, headers = pl.body, pl.content_type, pl.headers
    ingest, jloads, oloads = alertgate.ingest, json.loads, orjson.loads
    return {
        "alertgate.ingest": lambda: ingest(body, content_type=ct, headers=headers),
        "alertgate.ingest.to_dict": lambda: ingest(body, content_type=ct, headers=headers).to_dict(),
        "json.loads": lambda: jloads(body),
        "orjson.loads": lambda: oloads(body),
        "json.loads + normalize": lambda: normalize(jloads(body), headers),
        "orjson.loads + normalize": lambda: normalize(oloads(body), headers),
    }


def access_variants(pl: Payload) -> dict[str, Callable[[], object]]:
    """Reading two fields of the first alert: from alertgate's result object, and
    from the dict the orjson baseline gives (what "a dict lookup" costs)."""
    alert = alertgate.ingest(pl.body, content_type=pl.content_type, headers=pl.headers)[0]
    d = normalize(orjson.loads(pl.body), pl.headers)["alerts"][0]
    return {
        "alert.title": lambda: alert.title,
        'dict["title"]': lambda: d["title"],
        'alert.labels["severity"]': lambda: alert.labels["severity"],
        'dict["labels"]["severity"]': lambda: d["labels"]["severity"],
    }


def batch(fn: Callable[[], object], n: int) -> float:
    """Seconds per call over `n` calls."""
    gc.collect()
    loop = itertools.repeat(None, n)
    start = time.perf_counter()
    for _ in loop:
        fn()
    return (time.perf_counter() - start) / n


def calibrate(fn: Callable[[], object], min_time: float) -> int:
    """Calls per batch so that one batch lasts about `min_time` (warms up on the way)."""
    n = 1
    while (per_call := batch(fn, n)) * n < min_time / 4:
        n *= 2
    return max(1, math.ceil(min_time / per_call))


def measure(fns: Mapping[str, Callable[[], object]], rounds: int, min_time: float) -> dict[str, list[float]]:
    sizes = {label: calibrate(fn, min_time) for label, fn in fns.items()}
    times: dict[str, list[float]] = {label: [] for label in fns}
    for _ in range(rounds):
        for label, fn in fns.items():
            times[label].append(batch(fn, sizes[label]))
    return times


# ---------------------------------------------------------------- report


def spread(xs: Sequence[float]) -> float:
    """The interquartile range relative to the median, in percent."""
    q1, _, q3 = statistics.quantiles(xs, n=4)
    return 100 * (q3 - q1) / statistics.median(xs)


def report(pl: Payload, times: Mapping[str, list[float]], rounds: int) -> tuple[float, float, int]:
    """Prints the table; returns alertgate.ingest's and ingest(...).to_dict()'s time
    over orjson + normalize's, and the number of rounds in which alertgate.ingest was
    the faster of the two."""
    med = {label: statistics.median(xs) for label, xs in times.items()}
    base_o, base_j = med["orjson.loads + normalize"], med["json.loads + normalize"]
    n_alerts = len(json.loads(pl.body)["alerts"])
    print(f"\n{pl.name}: {len(pl.body):,} bytes, {n_alerts} alert(s); median of {rounds} rounds")
    print(f"  {'variant':<26} {'µs/call':>10} {'IQR':>6} {'vs orjson+norm':>15} {'vs json+norm':>13}")
    for label, t in med.items():
        print(
            f"  {label:<26} {t * 1e6:>10.2f} {spread(times[label]):>5.1f}% "
            f"{t / base_o:>14.2f}x {t / base_j:>12.2f}x"
        )
    wins = sum(a < b for a, b in zip(times["alertgate.ingest"], times["orjson.loads + normalize"]))
    return med["alertgate.ingest"] / base_o, med["alertgate.ingest.to_dict"] / base_o, wins


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument(
        "--rounds",
        type=int,
        default=int(os.environ.get("BENCH_ROUNDS", "41")),
        help="interleaved rounds per payload; the median is reported (env BENCH_ROUNDS, default 41)",
    )
    ap.add_argument(
        "--min-time",
        type=float,
        default=float(os.environ.get("BENCH_MIN_TIME", "0.08")),
        help="minimum seconds per batch of one variant (env BENCH_MIN_TIME, default 0.08)",
    )
    args = ap.parse_args()
    if args.rounds < 3 or args.min_time <= 0:
        ap.error("--rounds must be at least 3 and --min-time positive")

    print(f"Python {platform.python_version()} ({platform.python_implementation()}, {platform.machine()})")
    print(f"alertgate {alertgate.__version__}, orjson {version('orjson')}")
    print(
        f"{args.rounds} rounds, batches of at least {args.min_time * 1000:.0f} ms; "
        "ratios are time / baseline time (below 1.00x is faster)"
    )
    pls = payloads()
    for pl in pls:
        check(pl)
    results = {}
    for pl in pls:
        times = measure(variants(pl), args.rounds, args.min_time)
        results[pl.name] = report(pl, times, args.rounds)

    access = measure(access_variants(pls[0]), args.rounds, args.min_time)
    acc = {label: statistics.median(xs) for label, xs in access.items()}
    print(f"\nattribute access on {pls[0].name}'s first alert; median of {args.rounds} rounds")
    for label, t in acc.items():
        print(f"  {label:<28} {t * 1e9:>8.1f} ns")

    # The targets, each a ratio of medians in this run: ingest at most half the
    # time of orjson + normalize, to_dict no slower than it, attribute reads no
    # slower than the same dict lookups.
    print("\ntargets (time / orjson.loads + normalize's time, this run)")
    print(f"  {'payload':<32} {'ingest':>8} {'≤ 0.50':>7} {'to_dict':>8} {'≤ 1.00':>7}")
    met = total = 0
    for name, (ratio, to_dict, _wins) in results.items():
        ok_i, ok_d = ratio <= 0.5, to_dict <= 1.0
        met += ok_i + ok_d
        total += 2
        print(
            f"  {name:<32} {ratio:>7.2f}x {'met' if ok_i else 'NOT met':>7} "
            f"{to_dict:>7.2f}x {'met' if ok_d else 'NOT met':>7}"
        )
    for attr, key in (("alert.title", 'dict["title"]'), ('alert.labels["severity"]', 'dict["labels"]["severity"]')):
        ratio = acc[attr] / acc[key]
        ok = ratio <= 1.0
        met += ok
        total += 1
        print(f"  {attr + ' / ' + key:<58} {ratio:>5.2f}x {'met' if ok else 'NOT met':>7}")
    print(f"targets met: {met} of {total}")


if __name__ == "__main__":
    main()
