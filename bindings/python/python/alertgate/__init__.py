"""alertgate: turn any inbound alert webhook into one canonical, verified alert.

    >>> import alertgate
    >>> result = alertgate.ingest(b'{"summary": "Disk full", "severity": "high"}')
    >>> result.alerts[0].severity
    'critical'
"""

from alertgate._alertgate import (
    Alert,
    AlertgateError,
    AuthError,
    Brief,
    ConfigError,
    Ingest,
    Link,
    PayloadError,
    SynthConfig,
    SynthesisError,
    Verifier,
    __version__,
    ingest,
    sign,
    sns_certificate_url,
    sns_subscribe_url,
    synthesize,
    template_brief,
    verify,
)

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
