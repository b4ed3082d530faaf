"""The stub matches the built module, and the tests type-check against it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def test_stubtest() -> None:
    r = subprocess.run([sys.executable, "-m", "mypy.stubtest", "alertgate"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_on_the_tests() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--allow-untyped-decorators", str(HERE)],
        capture_output=True, text=True, cwd=HERE,
    )
    assert r.returncode == 0, r.stdout + r.stderr
