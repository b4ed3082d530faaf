"""Type stubs for the compiled module (checked by `python -m mypy.stubtest alertgate`)."""

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, Optional, Union, final

__version__: str
__all__ = [
    "Alert",
    "AlertgateError",
    "AuthError",
    "Brief",
    "ConfigError",
    "Ingest",
    "Link",
    "PayloadError",
    "SynthConfig",
    "SynthesisError",
    "Verifier",
    "__version__",
    "ingest",
    "sign",
    "sns_certificate_url",
    "sns_subscribe_url",
    "synthesize",
    "template_brief",
    "verify",
]

_Body = Union[bytes, bytearray, memoryview, str]
_Headers = Union[Mapping[str, str], Iterable[tuple[str, str]]]

class AlertgateError(Exception):
    """Base of every alertgate error."""

    code: str
    http_status: int

class PayloadError(AlertgateError):
    """The payload was rejected (HTTP 4xx)."""

class AuthError(AlertgateError):
    """Authentication failed (HTTP 401)."""

class ConfigError(AlertgateError):
    """Options, mapping or verifier configuration are invalid."""

class SynthesisError(AlertgateError):
    """No brief could be had from the LLM."""

@final
class Link:
    @property
    def rel(self) -> str: ...
    @property
    def href(self) -> str: ...

@final
class Alert:
    @property
    def title(self) -> str: ...
    @property
    def description(self) -> Optional[str]: ...
    @property
    def severity(self) -> Literal["critical", "error", "warning", "info"]: ...
    @property
    def severity_raw(self) -> Optional[str]: ...
    @property
    def status(self) -> Literal["triggered", "acknowledged", "resolved"]: ...
    @property
    def dedup_key(self) -> str: ...
    @property
    def dedup_basis(self) -> Literal["vendor", "labels", "content"]: ...
    @property
    def service(self) -> Optional[str]: ...
    @property
    def host(self) -> Optional[str]: ...
    @property
    def labels(self) -> dict[str, str]: ...
    @property
    def annotations(self) -> dict[str, str]: ...
    @property
    def started_at(self) -> Optional[str]: ...
    @property
    def ended_at(self) -> Optional[str]: ...
    @property
    def links(self) -> list[Link]: ...
    @property
    def source_ref(self) -> Optional[str]: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Ingest:
    @property
    def source(self) -> str: ...
    @property
    def detected_by(self) -> Literal["header", "shape", "hint", "fallback"]: ...
    @property
    def detection_reason(self) -> str: ...
    @property
    def tier(self) -> Optional[int]: ...
    @property
    def group_key(self) -> Optional[str]: ...
    @property
    def notice(self) -> Optional[str]: ...
    @property
    def annotations(self) -> dict[str, str]: ...
    @property
    def alerts(self) -> list[Alert]: ...
    @property
    def warnings(self) -> list[dict[str, str]]: ...
    @property
    def explanation(self) -> Optional[dict[str, Any]]: ...
    def to_json(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __len__(self) -> int: ...
    def __getitem__(self, index: int, /) -> Alert: ...
    def __iter__(self) -> Iterator[Alert]: ...

def ingest(
    body: _Body,
    *,
    content_type: Optional[str] = None,
    headers: Optional[_Headers] = None,
    source: Optional[str] = None,
    max_tier: int = 3,
    strict: bool = False,
    mapping: Union[str, Mapping[str, Any], None] = None,
    explain: bool = False,
) -> Ingest: ...

@final
class Verifier:
    def __new__(
        cls,
        scheme: str,
        secrets: Union[str, Sequence[str]],
        *,
        tolerance: int = 300,
        signature_header: Optional[str] = None,
        timestamp_header: Optional[str] = None,
        timestamp_unit: str = "s",
        prefix: Optional[str] = None,
        signed_content: Optional[str] = None,
        id_header: Optional[str] = None,
        topic_arn: Optional[str] = None,
    ) -> Verifier: ...
    @property
    def scheme(self) -> str: ...
    @property
    def tolerance(self) -> Optional[int]: ...
    def verify(self, headers: _Headers, body: _Body, *, now: Optional[int] = None) -> None: ...
    def verify_with_certificate(
        self, headers: _Headers, body: _Body, certificate: _Body, *, now: Optional[int] = None
    ) -> None: ...
    def check_headers(self, headers: _Headers, *, now: Optional[int] = None) -> None: ...
    def delivery_id(self, headers: _Headers) -> Optional[str]: ...
    def signature(self, headers: _Headers) -> Optional[str]: ...

def verify(
    scheme: str,
    secrets: Union[str, Sequence[str]],
    headers: _Headers,
    body: _Body,
    *,
    now: Optional[int] = None,
    tolerance: int = 300,
    signature_header: Optional[str] = None,
    timestamp_header: Optional[str] = None,
    timestamp_unit: str = "s",
    prefix: Optional[str] = None,
    signed_content: Optional[str] = None,
    id_header: Optional[str] = None,
    topic_arn: Optional[str] = None,
    certificate: Optional[_Body] = None,
) -> None: ...
def sns_certificate_url(body: _Body) -> str: ...
def sns_subscribe_url(body: _Body) -> str: ...
def sign(
    scheme: str,
    secret: str,
    body: _Body,
    *,
    timestamp: Optional[int] = None,
    id: Optional[str] = None,
    signature_header: Optional[str] = None,
    timestamp_header: Optional[str] = None,
    timestamp_unit: str = "s",
    prefix: Optional[str] = None,
    signed_content: Optional[str] = None,
    id_header: Optional[str] = None,
) -> dict[str, str]: ...

@final
class SynthConfig:
    def __new__(
        cls,
        *,
        provider: Literal["anthropic", "openai"] = "anthropic",
        base_url: Optional[str] = None,
        api_key: Optional[str] = None,
        model: Optional[str] = None,
        system_prompt: Optional[str] = None,
        timeout: float = 20.0,
        max_tokens: int = 300,
        max_payload_bytes: int = 16384,
    ) -> SynthConfig: ...
    @staticmethod
    def from_env() -> SynthConfig: ...
    @property
    def provider(self) -> str: ...
    @property
    def base_url(self) -> str: ...
    @property
    def has_api_key(self) -> bool: ...
    @property
    def model(self) -> str: ...
    @property
    def system_prompt(self) -> str: ...
    @property
    def timeout(self) -> float: ...
    @property
    def max_tokens(self) -> int: ...
    @property
    def max_payload_bytes(self) -> int: ...

@final
class Brief:
    @property
    def text(self) -> str: ...
    @property
    def synthesized_by(self) -> str: ...
    @property
    def model(self) -> Optional[str]: ...

def synthesize(ingest: Ingest, body: _Body, config: Optional[SynthConfig] = None) -> Brief: ...
def template_brief(ingest: Ingest) -> str: ...
