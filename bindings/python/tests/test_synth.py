"""`synthesize` against a real HTTP server on 127.0.0.1, `template_brief`, and the GIL."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import alertgate

BODY = b'{"tier": 2, "summary": "Checkout slow", "service": "checkout", "auth": {"api_key": "sk-SECRET"}}'


class Server:
    """A canned-response LLM server that records requests."""

    def __init__(self) -> None:
        self.status = 200
        self.reply: Any = {"content": [{"type": "text", "text": "Checkout is slow. Check the pool."}]}
        self.delay = 0.0
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("content-length", "0"))
                body = json.loads(self.rfile.read(length) or b"null")
                outer.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                time.sleep(outer.delay)
                payload = outer.reply if isinstance(outer.reply, bytes) else json.dumps(outer.reply).encode()
                try:
                    self.send_response(outer.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (timeout test)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.httpd.shutdown()


def config(server: Server, **kw: Any) -> alertgate.SynthConfig:
    kw.setdefault("api_key", "test-key")
    return alertgate.SynthConfig(base_url=server.url, **kw)


def test_anthropic_request_and_brief(server: Server) -> None:
    alert = alertgate.ingest(BODY)
    brief = alertgate.synthesize(alert, BODY, config(server, model="m1", system_prompt="SYS"))
    assert (brief.text, brief.synthesized_by, brief.model) == ("Checkout is slow. Check the pool.", "anthropic", "m1")
    path, headers, body = server.requests[0]
    assert path == "/v1/messages"
    assert headers["x-api-key"] == "test-key" and headers["anthropic-version"] == "2023-06-01"
    assert body["model"] == "m1" and body["system"] == "SYS"
    content = body["messages"][0]["content"]
    assert content.startswith("alertgate summary: source=generic alerts=1")
    assert '"tier"' not in content and "sk-SECRET" not in content and "[redacted]" in content


def test_openai_request(server: Server) -> None:
    server.reply = {"choices": [{"message": {"role": "assistant", "content": "Brief: Look at checkout."}}]}
    brief = alertgate.synthesize(alertgate.ingest(BODY), BODY, config(server, provider="openai"))
    assert brief.text == "Look at checkout." and brief.synthesized_by == "openai"
    path, headers, body = server.requests[0]
    assert path == "/v1/chat/completions" and headers["authorization"] == "Bearer test-key"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]


@pytest.mark.parametrize(
    ("status", "reply", "code"),
    [
        (401, {"error": "bad key"}, "upstream_status"),
        (429, {"error": "slow down"}, "upstream_status"),
        (500, {"error": "oops"}, "upstream_status"),
        (200, b"<html>not json</html>", "bad_response"),
        (200, {"content": [{"type": "text", "text": "  "}]}, "bad_response"),
    ],
)
def test_errors(server: Server, status: int, reply: Any, code: str) -> None:
    server.status, server.reply = status, reply
    with pytest.raises(alertgate.SynthesisError) as info:
        alertgate.synthesize(alertgate.ingest(BODY), BODY, config(server))
    assert (info.value.code, info.value.http_status) == (code, 502)


def test_timeout_and_transport(server: Server) -> None:
    server.delay = 2.0
    with pytest.raises(alertgate.SynthesisError) as info:
        alertgate.synthesize(alertgate.ingest(BODY), BODY, config(server, timeout=0.2))
    assert info.value.code == "timeout"
    refused = alertgate.SynthConfig(base_url="http://127.0.0.1:9", api_key="k", timeout=2.0)
    with pytest.raises(alertgate.SynthesisError) as info:
        alertgate.synthesize(alertgate.ingest(BODY), BODY, refused)
    assert info.value.code == "transport"


def test_the_gil_is_released_during_the_call(server: Server) -> None:
    server.delay = 0.5
    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1

    t = threading.Thread(target=count)
    t.start()
    before = ticks
    alertgate.synthesize(alertgate.ingest(BODY), BODY, config(server))
    during = ticks - before
    stop.set()
    t.join()
    # Holding the GIL for 0.5 s would let the counter run only between bytecode switches of
    # this thread; released, it runs freely. A generous floor keeps this robust on busy CI.
    assert during > 10_000, during


def test_template_brief_and_config_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    alert = alertgate.ingest(BODY)
    assert alertgate.template_brief(alert).startswith("A webhook reports 1 firing alert for checkout")
    monkeypatch.setenv("ALERTGATE_LLM_PROVIDER", "openai")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("ALERTGATE_WEBHOOK_MODEL", "local-model")
    c = alertgate.SynthConfig.from_env()
    assert (c.provider, c.model, c.has_api_key) == ("openai", "local-model", True)
    assert "sk-env" not in repr(c)
