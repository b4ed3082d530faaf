"""OnCallM's webhook API on alertgate: bearer auth on the raw request, then Alertmanager parsing.

Run: ``uvicorn app:create_app --factory --port 8001``. See README.md for the semantics.
"""

import json
import logging
import math
import os
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import alertgate
from fastapi import FastAPI, HTTPException, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from pydantic import BaseModel

log = logging.getLogger("oncallm")

PER_CLIENT_LIMIT = 100  # requests per window and client IP
GLOBAL_LIMIT = 1000  # requests per window, all clients together
WINDOW_SECONDS = 60  # rate-limit window, aligned to the Unix minute
DEDUP_SECONDS = 60.0  # same fingerprint and status within this many seconds: not queued again
MAX_REPORTS = 1000  # the in-memory store keeps the newest reports only
MAX_BODY = 1024 * 1024 + 1  # read one byte past alertgate's 1 MiB limit so it can say payload_too_large

Clock = Callable[[], float]


class ReportUrl(BaseModel):
    fingerprint: str
    alert_name: str
    namespace: str
    report_url: str


class WebhookResponse(BaseModel):
    status: str = "success"
    message: str = "Alerts queued for analysis"
    report_urls: list[ReportUrl]


@dataclass
class Report:
    fingerprint: str
    status: str
    queued_at: float
    alert: dict[str, Any]
    group_key: str | None
    brief: str = ""
    duplicates: int = 0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset: int

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


@dataclass
class FixedWindowLimiter:
    """Per-client and global counters over fixed windows aligned to the Unix minute.

    A rejected request consumes nothing. The decision reports whichever limit is tighter.
    """

    clock: Clock
    per_client: int = PER_CLIENT_LIMIT
    total: int = GLOBAL_LIMIT
    window: int = WINDOW_SECONDS
    _start: int = -1
    _global: int = 0
    _clients: dict[str, int] = field(default_factory=dict)

    def hit(self, client: str) -> Decision:
        now = self.clock()
        start = int(now // self.window) * self.window
        if start != self._start:  # a new window: forget the old counters (bounds the memory too)
            self._start, self._global, self._clients = start, 0, {}
        reset = start + self.window
        used = self._clients.get(client, 0)
        allowed = used < self.per_client and self._global < self.total
        if allowed:
            used += 1
            self._global += 1
            self._clients[client] = used
        client_left, global_left = self.per_client - used, self.total - self._global
        if global_left < client_left:
            return Decision(allowed, self.total, global_left, reset)
        return Decision(allowed, self.per_client, client_left, reset)


@dataclass
class Service:
    """The analysed alerts, newest last; created by the lifespan handler."""

    reports: OrderedDict[str, Report] = field(default_factory=OrderedDict)

    def queue(self, report: Report) -> bool:
        """Store a report unless it duplicates one queued less than DEDUP_SECONDS ago."""
        old = self.reports.get(report.fingerprint)
        if old is not None and old.status == report.status and report.queued_at - old.queued_at < DEDUP_SECONDS:
            old.duplicates += 1
            return False
        self.reports[report.fingerprint] = report
        self.reports.move_to_end(report.fingerprint)
        while len(self.reports) > MAX_REPORTS:
            self.reports.popitem(last=False)
        return True


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Counter("oncallm_webhook_requests_total", "Webhook requests by HTTP status.", ["code"], registry=r)
        self.duration = Histogram("oncallm_webhook_duration_seconds", "Webhook handling time.", registry=r)
        self.errors = Counter("oncallm_webhook_errors_total", "Rejected webhook requests by reason.", ["reason"], registry=r)
        self.alerts = Counter("oncallm_alerts_total", "Alerts received by outcome.", ["outcome"], registry=r)


def _document(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:  # alertgate also reads a BOM, forms, ...: those get the group's brief
        return None


def _brief(doc: Any, index: int, result: alertgate.Ingest) -> str:
    """The brief of one alert: that alert re-read alone, so the brief is about it, not its group.

    The request was verified on its raw bytes already; this re-reading only serves the brief.
    Anything unexpected falls back to the brief of the whole notification.
    """
    raw = doc.get("alerts") if isinstance(doc, dict) else None
    if isinstance(raw, list) and len(raw) == len(result.alerts):
        try:
            alone = alertgate.ingest(json.dumps({**doc, "alerts": [raw[index]]}), source="alertmanager")
            return alertgate.template_brief(alone)
        except alertgate.AlertgateError:
            pass
    return alertgate.template_brief(result)


async def _read_body(request: Request) -> bytes:
    """The raw body, at most MAX_BODY bytes (enough for alertgate to reject what is too large)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk[: MAX_BODY - len(body)]
        if len(body) >= MAX_BODY:
            break
    return bytes(body)


def create_app(clock: Clock = time.time, token: str | None = None) -> FastAPI:
    """The OnCallM webhook app. `token` overrides the ONCALLM_TOKEN variable (read per request)."""
    runtime: dict[str, Service] = {}  # "service" is set once start-up has completed
    limiter = FixedWindowLimiter(clock)
    metrics = Metrics()
    verifiers: dict[str, alertgate.Verifier] = {}  # by token, so a rotated token needs no restart

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if token is None and not os.environ.get("ONCALLM_TOKEN"):
            log.warning("ONCALLM_TOKEN is not set: every webhook will be refused (401)")
        runtime["service"] = Service()
        yield
        runtime.clear()

    app = FastAPI(title="OnCallM webhook (alertgate example)", lifespan=lifespan)

    # Every handler is `async def`, so the state above is only touched from the event loop.
    def service() -> Service:
        if "service" not in runtime:
            raise HTTPException(503, "Service not initialised")
        return runtime["service"]

    def verifier() -> alertgate.Verifier | None:
        secret = token if token is not None else os.environ.get("ONCALLM_TOKEN", "")
        if not secret:
            return None
        if secret not in verifiers:
            verifiers.clear()
            verifiers[secret] = alertgate.Verifier("bearer", [secret])
        return verifiers[secret]

    def reject(status: int, detail: str, reason: str, headers: dict[str, str] | None = None) -> HTTPException:
        metrics.errors.labels(reason=reason).inc()
        return HTTPException(status, detail, headers)

    async def handle(request: Request, response: Response) -> WebhookResponse:
        svc = runtime.get("service")
        if svc is None:
            raise reject(503, "Service not initialised", "not_ready")

        client = request.client.host if request.client else "unknown"
        decision = limiter.hit(client)
        limits = decision.headers()
        if not decision.allowed:
            retry_after = str(max(1, math.ceil(decision.reset - clock())))
            raise reject(429, "Rate limit exceeded. Try again in 60 seconds.", "rate_limited",
                         {**limits, "Retry-After": retry_after})
        response.headers.update(limits)

        # Authenticity first, on the raw bytes; parsing only after.
        body = await _read_body(request)
        headers = list(request.headers.items())
        check = verifier()
        failure = "ONCALLM_TOKEN is not set"
        if check is not None:
            try:
                check.verify(headers, body)
                failure = ""
            except alertgate.AuthError as exc:
                failure = exc.code
        if failure:
            log.info("Unauthorized webhook from %s: %s", client, failure)
            raise reject(401, "Unauthorized", "unauthorized", {**limits, "WWW-Authenticate": "Bearer"})

        try:
            result = alertgate.ingest(body, content_type=request.headers.get("content-type"),
                                      headers=headers, source="alertmanager")
        except alertgate.PayloadError as exc:
            log.info("Invalid alert format from %s: %s", client, exc)
            raise reject(400, "Invalid alert format", exc.code, limits) from None

        base = (os.environ.get("ONCALLM_BASE_URL") or str(request.base_url)).rstrip("/")
        now = clock()
        doc = _document(body) if result.alerts else None
        urls = []
        for index, alert in enumerate(result.alerts):
            fingerprint = alert.source_ref or alert.dedup_key
            report = Report(fingerprint, alert.status, now, alert.to_dict(), result.group_key)
            queued = svc.queue(report)
            if queued:  # analysed once; a duplicate keeps the report (and brief) it already has
                report.brief = _brief(doc, index, result)
            metrics.alerts.labels(outcome="queued" if queued else "deduplicated").inc()
            urls.append(ReportUrl(fingerprint=fingerprint, alert_name=alert.title,
                                  namespace=alert.labels.get("namespace") or "Unknown",
                                  report_url=f"{base}/report/{quote(fingerprint, safe='')}"))
        return WebhookResponse(report_urls=urls)

    @app.post("/webhook", response_model=WebhookResponse)
    async def webhook(request: Request, response: Response) -> WebhookResponse:
        """Alertmanager webhook: 200, or 400/401/429/503 with {"detail": ...}."""
        started, code = time.perf_counter(), 500
        try:
            result = await handle(request, response)
            code = 200
            return result
        except HTTPException as exc:
            code = exc.status_code
            raise
        except Exception:
            metrics.errors.labels(reason="internal").inc()
            raise
        finally:
            metrics.requests.labels(code=str(code)).inc()
            metrics.duration.observe(time.perf_counter() - started)

    @app.get("/report/{fingerprint:path}")
    async def report(fingerprint: str) -> dict[str, Any]:
        """The stored canonical alert and its offline investigation brief."""
        found = service().reports.get(fingerprint)
        if found is None:
            raise HTTPException(404, "Report not found")
        return {
            "fingerprint": found.fingerprint,
            "queued_at": datetime.fromtimestamp(found.queued_at, timezone.utc).isoformat(),
            "duplicates": found.duplicates,
            "group_key": found.group_key,
            "alert": found.alert,
            "brief": found.brief,
            "synthesized_by": "template",
        }

    @app.get("/health")
    async def health() -> dict[str, Any]:
        svc = service()
        ai = "connected" if alertgate.SynthConfig.from_env().has_api_key else "template"
        return {"status": "healthy", "webhook_endpoint": "available", "ai_service": ai,
                "queue_size": len(svc.reports)}

    @app.get("/metrics")
    async def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app
