"""No memory growth over 200,000 ingest calls."""

from __future__ import annotations

import gc

import alertgate

BODY = (
    b'{"version":"4","status":"firing","alerts":[{"status":"firing","labels":'
    b'{"alertname":"HighCPU","instance":"n1","severity":"warning"},"annotations":{"summary":"hot"},'
    b'"startsAt":"2024-01-15T10:30:00Z","fingerprint":"f1"}]}'
)


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def work(n: int) -> None:
    for _ in range(n):
        r = alertgate.ingest(BODY, headers={"User-Agent": "Alertmanager/0.27.0"})
        r.to_dict()
        r.alerts[0].labels
        try:
            alertgate.ingest(b"  ")
        except alertgate.PayloadError:
            pass


def test_no_growth_over_200k_calls() -> None:
    work(20_000)  # warm up allocators and caches
    gc.collect()
    before = rss_kib()
    work(200_000)
    gc.collect()
    grown = rss_kib() - before
    assert grown < 4 * 1024, f"RSS grew by {grown} KiB"
