"""The OnCallM webhook API on alertgate: auth, parsing, rate limits, dedup, reports, health, metrics.

No network and no sleeping: the app gets a fake clock.
"""

import json
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

import alertgate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from app import create_app  # noqa: E402

with warnings.catch_warnings():  # Starlette prefers httpx2; httpx is what this venv has
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from fastapi.testclient import TestClient  # noqa: E402

TOKEN = "s3cr3t-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
T0 = 1_705_314_600.0  # 2024-01-15T10:30:00Z, the start of a minute
BASE = "http://localhost:8001"

# The documentation's example payload, with values of our own.
EXAMPLE = {
    "receiver": "oncallm-webhook",
    "status": "firing",
    "alerts": [{
        "status": "firing",
        "labels": {"alertname": "HighMemoryUsage", "instance": "node-7:9100", "job": "node-exporter",
                   "severity": "critical", "namespace": "payments"},
        "annotations": {"summary": "Memory usage is above 95%",
                        "description": "Memory on node-7 has been above 95% for 10 minutes"},
        "startsAt": "2024-03-02T08:15:00.000Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph?g0.expr=node_memory",
        "fingerprint": "f00dcafe1234",
    }],
    "groupLabels": {"alertname": "HighMemoryUsage"},
    "commonLabels": {"job": "node-exporter", "severity": "critical"},
    "commonAnnotations": {},
    "externalURL": "http://alertmanager:9093",
    "version": "4",
    "groupKey": '{}:{alertname="HighMemoryUsage"}',
}

# The documentation's curl test payload, verbatim.
MINIMAL = {
    "alerts": [{
        "labels": {"alertname": "TestAlert", "severity": "warning"},
        "annotations": {"summary": "Test alert for integration"},
        "startsAt": "2024-01-15T10:30:00.000Z",
        "fingerprint": "test123",
    }]
}


class FakeClock:
    def __init__(self, now: float = T0 + 5) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def alert(name: str, fingerprint: str | None = None, status: str = "firing", **labels: str) -> dict[str, Any]:
    a: dict[str, Any] = {"status": status, "labels": {"alertname": name, **labels},
                         "annotations": {"summary": f"{name} summary"}, "startsAt": "2024-01-15T10:30:00Z"}
    if status == "resolved":
        a["endsAt"] = "2024-01-15T10:40:00Z"
    if fingerprint is not None:
        a["fingerprint"] = fingerprint
    return a


def notification(*alerts: dict[str, Any]) -> dict[str, Any]:
    return {"receiver": "oncallm-webhook", "status": "firing", "alerts": list(alerts),
            "groupKey": "{}:{}", "externalURL": "http://alertmanager:9093", "version": "4"}


def metric_values(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics by (name, sorted labels)."""
    res = client.get("/metrics")
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(res.text) for s in family.samples}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ONCALLM_TOKEN", "ONCALLM_BASE_URL", "ALERTGATE_LLM_API_KEY", "ALERTGATE_LLM_PROVIDER",
                 "ANTHROPIC_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(clock: FakeClock) -> Any:
    return create_app(clock=clock, token=TOKEN)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, base_url=BASE) as c:  # `with` runs the lifespan: the service is ready
        yield c


def post(client: TestClient, payload: Any, headers: dict[str, str] | None = None) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post("/webhook", content=body,
                       headers={"Content-Type": "application/json", **(AUTH if headers is None else headers)})


# --- authentication ---------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer wrong-token"},
    {"Authorization": f"Basic {TOKEN}"},
    {"Authorization": "Bearer "},
    {"Authorization": f"Bearer {TOKEN}x"},
], ids=["missing", "wrong", "not-bearer", "empty", "longer"])
def test_unauthorized(client: TestClient, headers: dict[str, str]) -> None:
    res = post(client, MINIMAL, headers)
    assert res.status_code == 401
    assert res.json() == {"detail": "Unauthorized"}
    assert res.headers["WWW-Authenticate"] == "Bearer"
    assert res.headers["X-RateLimit-Limit"] == "100"
    assert client.get("/health").json()["queue_size"] == 0
    assert client.get("/report/test123").status_code == 404


def test_auth_is_checked_before_parsing(client: TestClient) -> None:
    res = post(client, b"this is not JSON", {"Authorization": "Bearer wrong"})
    assert res.status_code == 401


def test_token_from_environment_read_per_request(monkeypatch: pytest.MonkeyPatch) -> None:
    with TestClient(create_app(clock=FakeClock())) as c:
        assert post(c, MINIMAL, {"Authorization": "Bearer anything"}).status_code == 401  # unset: refuse all
        assert post(c, MINIMAL, {}).status_code == 401
        monkeypatch.setenv("ONCALLM_TOKEN", "first")
        assert post(c, MINIMAL, {"Authorization": "Bearer first"}).status_code == 200
        monkeypatch.setenv("ONCALLM_TOKEN", "second")  # rotated without a restart
        assert post(c, MINIMAL, {"Authorization": "Bearer first"}).status_code == 401
        assert post(c, MINIMAL, {"Authorization": "Bearer second"}).status_code == 200


# --- success ----------------------------------------------------------------------------------

def test_example_payload(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONCALLM_BASE_URL", "https://oncallm.example.com/")
    res = post(client, EXAMPLE)
    assert res.status_code == 200
    assert res.json() == {
        "status": "success",
        "message": "Alerts queued for analysis",
        "report_urls": [{
            "fingerprint": "f00dcafe1234",
            "alert_name": "HighMemoryUsage",
            "namespace": "payments",
            "report_url": "https://oncallm.example.com/report/f00dcafe1234",
        }],
    }


def test_minimal_curl_payload(client: TestClient) -> None:
    res = post(client, MINIMAL)
    assert res.status_code == 200
    assert res.json() == {
        "status": "success",
        "message": "Alerts queued for analysis",
        "report_urls": [{
            "fingerprint": "test123",
            "alert_name": "TestAlert",
            "namespace": "Unknown",
            "report_url": "http://localhost:8001/report/test123",  # from the request: no ONCALLM_BASE_URL
        }],
    }


def test_several_alerts_and_fingerprint_fallback(client: TestClient) -> None:
    no_fp = alert("DiskFull", None, device="sda1")
    payload = notification(alert("HighCPU", "aaa111", namespace="prod"), no_fp)
    expected_key = alertgate.ingest(json.dumps(notification(no_fp)), source="alertmanager").alerts[0].dedup_key
    res = post(client, payload)
    assert res.status_code == 200
    urls = res.json()["report_urls"]
    assert [(u["fingerprint"], u["alert_name"], u["namespace"]) for u in urls] == [
        ("aaa111", "HighCPU", "prod"), (expected_key, "DiskFull", "Unknown")]
    assert urls[1]["report_url"] == f"{BASE}/report/{expected_key}"
    assert client.get(f"/report/{expected_key}").status_code == 200


def test_empty_notification_is_success_without_reports(client: TestClient) -> None:
    res = post(client, {"receiver": "x", "alerts": []})
    assert res.status_code == 200
    assert res.json()["report_urls"] == []


def test_fingerprint_is_escaped_in_the_report_url(client: TestClient) -> None:
    res = post(client, notification(alert("Odd", "a/b c?d")))
    url = res.json()["report_urls"][0]["report_url"]
    assert url == f"{BASE}/report/a%2Fb%20c%3Fd"
    assert client.get(url).json()["fingerprint"] == "a/b c?d"


# --- invalid payloads -------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "code"), [
    (b'{"foo": 1}', "payload_mismatch"),
    (b"", "empty_body"),
    (b"   \n", "empty_body"),
    (b"{not json", "invalid_json"),
    (b"[]", "not_an_object"),
    (b'{"alerts": {"labels": {}}}', "payload_mismatch"),
    (b'{"alerts": [42]}', "payload_mismatch"),
    (b'{"alerts": []}' + b" " * (1024 * 1024), "payload_too_large"),
], ids=["not-alertmanager", "empty", "blank", "bad-json", "array", "alerts-object", "alert-number", "too-large"])
def test_invalid_alert_format(client: TestClient, body: bytes, code: str) -> None:
    res = post(client, body)
    assert res.status_code == 400
    assert res.json() == {"detail": "Invalid alert format"}
    assert res.headers["X-RateLimit-Remaining"] == "99"
    assert client.get("/health").json()["queue_size"] == 0
    assert metric_values(client)[("oncallm_webhook_errors_total", (("reason", code),))] == 1


# --- readiness --------------------------------------------------------------------------------

def test_not_ready_before_startup(app: Any) -> None:
    c = TestClient(app)  # no `with`: the lifespan has not run, start-up has not completed
    res = post(c, MINIMAL)
    assert res.status_code == 503
    assert res.json() == {"detail": "Service not initialised"}
    assert "X-RateLimit-Limit" not in res.headers  # refused before the rate limiter counts it
    assert c.get("/health").status_code == 503
    assert c.get("/report/test123").status_code == 503
    assert metric_values(c)[("oncallm_webhook_errors_total", (("reason", "not_ready"),))] == 1
    with c:
        assert post(c, MINIMAL).status_code == 200
        assert post(c, MINIMAL).headers["X-RateLimit-Remaining"] == "98"
    assert post(c, MINIMAL).status_code == 503  # shut down again


# --- rate limits ------------------------------------------------------------------------------

def test_per_client_rate_limit(client: TestClient, app: Any, clock: FakeClock) -> None:
    remaining = []
    for _ in range(100):
        res = post(client, MINIMAL)
        assert res.status_code == 200
        assert res.headers["X-RateLimit-Limit"] == "100"
        assert res.headers["X-RateLimit-Reset"] == str(int(T0) + 60)
        remaining.append(int(res.headers["X-RateLimit-Remaining"]))
    assert remaining == list(range(99, -1, -1))

    clock.now = T0 + 42
    res = post(client, MINIMAL)
    assert res.status_code == 429
    assert res.json() == {"detail": "Rate limit exceeded. Try again in 60 seconds."}
    assert res.headers["X-RateLimit-Limit"] == "100"
    assert res.headers["X-RateLimit-Remaining"] == "0"
    assert res.headers["X-RateLimit-Reset"] == str(int(T0) + 60)
    assert res.headers["Retry-After"] == "18"
    assert post(client, MINIMAL, {}).status_code == 429  # counted before auth: no token guessing

    other = TestClient(app, base_url=BASE, client=("10.0.0.2", 40000))  # another IP is not limited
    res = post(other, MINIMAL)
    assert res.status_code == 200
    assert res.headers["X-RateLimit-Remaining"] == "99"

    clock.now = T0 + 60  # the next window
    res = post(client, MINIMAL)
    assert res.status_code == 200
    assert res.headers["X-RateLimit-Remaining"] == "99"
    assert res.headers["X-RateLimit-Reset"] == str(int(T0) + 120)

    counts = metric_values(client)
    assert counts[("oncallm_webhook_errors_total", (("reason", "rate_limited"),))] == 2
    assert counts[("oncallm_webhook_requests_total", (("code", "429"),))] == 2


def test_global_rate_limit(client: TestClient, app: Any, clock: FakeClock) -> None:
    def at(ip: str) -> TestClient:
        return TestClient(app, base_url=BASE, client=(ip, 40000))

    cheap = {"Authorization": "Bearer wrong"}  # 401s are counted too, and cost less
    for i in range(9):
        c = at(f"10.0.1.{i}")
        for _ in range(100):
            assert post(c, MINIMAL, cheap).status_code == 401
    c = at("10.0.1.9")
    for _ in range(50):
        post(c, MINIMAL, cheap)
    # 950 used: the global limit is now the tighter one, and the headers say so.
    late = at("10.0.2.1")
    res = post(late, MINIMAL)
    assert res.status_code == 200
    assert (res.headers["X-RateLimit-Limit"], res.headers["X-RateLimit-Remaining"]) == ("1000", "49")
    for expected in range(48, -1, -1):
        assert post(late, MINIMAL).headers["X-RateLimit-Remaining"] == str(expected)

    for fresh in (at("10.0.3.1"), late, client):
        res = post(fresh, MINIMAL)
        assert res.status_code == 429
        assert res.json() == {"detail": "Rate limit exceeded. Try again in 60 seconds."}
        assert (res.headers["X-RateLimit-Limit"], res.headers["X-RateLimit-Remaining"]) == ("1000", "0")
        assert res.headers["X-RateLimit-Reset"] == str(int(T0) + 60)

    clock.now = T0 + 61
    assert post(at("10.0.3.1"), MINIMAL).status_code == 200


def test_health_and_metrics_are_not_rate_limited(client: TestClient) -> None:
    for _ in range(101):
        post(client, MINIMAL, {})
    assert client.get("/health").status_code == 200
    assert client.get("/metrics").status_code == 200
    assert client.get("/report/none").status_code == 404


# --- deduplication ----------------------------------------------------------------------------

def test_duplicates_within_60_seconds(client: TestClient, clock: FakeClock) -> None:
    first = post(client, EXAMPLE).json()
    queued_at = client.get("/report/f00dcafe1234").json()["queued_at"]

    for offset in (10, 30, 59.9):
        clock.now = T0 + 5 + offset
        again = post(client, EXAMPLE)
        assert again.status_code == 200
        assert again.json()["report_urls"] == first["report_urls"]  # still listed: the report exists
    rep = client.get("/report/f00dcafe1234").json()
    assert rep["queued_at"] == queued_at == "2024-01-15T10:30:05+00:00"
    assert rep["duplicates"] == 3
    assert client.get("/health").json()["queue_size"] == 1
    counts = metric_values(client)
    assert counts[("oncallm_alerts_total", (("outcome", "queued"),))] == 1
    assert counts[("oncallm_alerts_total", (("outcome", "deduplicated"),))] == 3

    clock.now = T0 + 5 + 60  # 60 s after it was queued: queued (analysed) again
    assert post(client, EXAMPLE).status_code == 200
    rep = client.get("/report/f00dcafe1234").json()
    assert rep["queued_at"] == "2024-01-15T10:31:05+00:00"
    assert rep["duplicates"] == 0
    assert metric_values(client)[("oncallm_alerts_total", (("outcome", "queued"),))] == 2


def test_a_status_change_is_not_a_duplicate(client: TestClient, clock: FakeClock) -> None:
    post(client, notification(alert("HighCPU", "aaa111")))
    clock.now += 20
    post(client, notification(alert("HighCPU", "aaa111", status="resolved")))
    rep = client.get("/report/aaa111").json()
    assert rep["alert"]["status"] == "resolved"
    assert rep["duplicates"] == 0
    assert "resolved" in rep["brief"]


def test_duplicates_in_one_notification(client: TestClient) -> None:
    res = post(client, notification(alert("HighCPU", "aaa111"), alert("HighCPU", "aaa111")))
    assert [u["fingerprint"] for u in res.json()["report_urls"]] == ["aaa111", "aaa111"]
    assert client.get("/report/aaa111").json()["duplicates"] == 1
    assert client.get("/health").json()["queue_size"] == 1


# --- reports ----------------------------------------------------------------------------------

def test_report_page(client: TestClient) -> None:
    post(client, EXAMPLE)
    rep = client.get("/report/f00dcafe1234")
    assert rep.status_code == 200
    expected = alertgate.ingest(json.dumps(EXAMPLE), source="alertmanager")
    body = rep.json()
    assert body == {
        "fingerprint": "f00dcafe1234",
        "queued_at": "2024-01-15T10:30:05+00:00",
        "duplicates": 0,
        "group_key": '{}:{alertname="HighMemoryUsage"}',
        "alert": expected.alerts[0].to_dict(),
        "brief": alertgate.template_brief(expected),
        "synthesized_by": "template",
    }
    assert body["alert"]["severity"] == "critical"
    assert body["alert"]["host"] == "node-7:9100"
    assert "HighMemoryUsage" in body["brief"]


def test_each_report_has_its_own_brief(client: TestClient) -> None:
    post(client, notification(alert("HighCPU", "aaa111"), alert("DiskFull", "bbb222")))
    cpu, disk = client.get("/report/aaa111").json(), client.get("/report/bbb222").json()
    assert "HighCPU" in cpu["brief"] and "DiskFull" not in cpu["brief"]
    assert "DiskFull" in disk["brief"] and "HighCPU" not in disk["brief"]
    assert disk["alert"]["title"] == "DiskFull"


def test_unknown_report(client: TestClient) -> None:
    res = client.get("/report/does-not-exist")
    assert res.status_code == 404
    assert res.json() == {"detail": "Report not found"}


# --- health and metrics -----------------------------------------------------------------------

def test_health(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    assert client.get("/health").json() == {
        "status": "healthy", "webhook_endpoint": "available", "ai_service": "template", "queue_size": 0}
    post(client, notification(alert("A", "1"), alert("B", "2")))
    monkeypatch.setenv("ALERTGATE_LLM_API_KEY", "sk-test")  # read per request
    assert client.get("/health").json() == {
        "status": "healthy", "webhook_endpoint": "available", "ai_service": "connected", "queue_size": 2}


def test_metrics(client: TestClient, app: Any) -> None:
    post(client, MINIMAL)
    post(client, EXAMPLE)
    post(client, MINIMAL, {})
    post(client, b'{"foo": 1}')
    text = client.get("/metrics").text
    for name in ("oncallm_webhook_requests_total", "oncallm_webhook_duration_seconds",
                 "oncallm_webhook_errors_total"):
        assert f"\n{name}" in text
    assert "# TYPE oncallm_webhook_duration_seconds histogram" in text
    counts = metric_values(client)
    assert counts[("oncallm_webhook_requests_total", (("code", "200"),))] == 2
    assert counts[("oncallm_webhook_requests_total", (("code", "401"),))] == 1
    assert counts[("oncallm_webhook_requests_total", (("code", "400"),))] == 1
    assert counts[("oncallm_webhook_errors_total", (("reason", "unauthorized"),))] == 1
    assert counts[("oncallm_webhook_errors_total", (("reason", "payload_mismatch"),))] == 1
    assert counts[("oncallm_webhook_duration_seconds_count", ())] == 4
    assert counts[("oncallm_webhook_duration_seconds_bucket", (("le", "+Inf"),))] == 4
    assert counts[("oncallm_webhook_duration_seconds_sum", ())] > 0

    with TestClient(create_app(clock=FakeClock(), token=TOKEN)) as fresh:  # its own registry
        assert ("oncallm_webhook_requests_total", (("code", "200"),)) not in metric_values(fresh)
