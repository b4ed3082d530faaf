#!/usr/bin/env python3
"""Runs every fenced code block of README.md and docs/*.md (`make docs-check`).

Python standard library only. Run from the repository root after
`cargo build -p alertgate-server -p alertgate-c`, `make test-python` (the venv
target/py-venv with `alertgate` installed) and `make test-node` (the built
binding in bindings/node). No network is used.

What each info string means (the first word is the language; GitHub highlights it):

  rust          a doc test: the file must be included by `#[doc = include_str!(..)]`
                in core/src/lib.rs or synth/src/lib.rs, so `cargo test --doc` runs it
                (this script checks the include, and refuses `rust,ignore`/`no_run`).
  python        run with target/py-venv/bin/python (`alertgate` installed).
  sh, bash      run with `bash -euo pipefail` against a server started here.
  js, mjs       run with node; `alertgate` resolves to bindings/node.
  c             a whole program: compiled with -std=c11 -Wall -Wextra -Werror
                -pedantic against bindings/c/include/alertgate.h, linked with
                target/debug/libalertgate.so and run (it must exit 0).
  json, toml    parsed (json.loads, tomllib); a syntax error fails.
  text, yaml    shown, not run: output samples and third-party configuration.
  console       output only: a line starting with "$ " (a command) fails, so no
                command hides in an output block.

A second word `not-run` (```` ```sh not-run ````) marks a command that must not run
here (it builds the project, installs, or runs a server in the foreground) or a
script for another runtime (Zabbix's JavaScript); such blocks are still checked by
`bash -n` or `node --check`. Any other language, or a block without one,
fails the run: nothing is skipped silently.

The server: `target/debug/alertgate serve` on 127.0.0.1 with a free port, a
temporary database, the example integrations file
(server-example/integrations.example.toml) and ALERTGATE_API_KEY=change-me, no
LLM key (briefs come from the offline template). Blocks are written for a user's
default server, `http://127.0.0.1:8080`: this script replaces that text with the
real address before running a block, and also exports ALERTGATE_URL (the
address) and ALERTGATE_API_KEY. Blocks run from the repository root with
target/debug first on PATH, so `alertgate ingest …` uses the fresh build.

Also checked: every relative link in these files points at a file that exists,
and every `#anchor` at a heading or `<a id>` of its file.

Exit status 0 only when every block passed; the last line is `N passed, M failed`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "http://127.0.0.1:8080"
API_KEY = "change-me"
TIMEOUT = 120  # seconds per block

RUN = {"python", "sh", "bash", "js", "mjs", "c"}
PARSE = {"json", "toml"}
SHOWN = {"text", "yaml", "console"}
DOCTEST = {"rust"}
KNOWN = RUN | PARSE | SHOWN | DOCTEST


class Block:
    def __init__(self, path: Path, line: int, info: str, code: str):
        self.path, self.line, self.code = path, line, code
        words = info.replace(",", " ").split()
        self.lang = words[0] if words else ""
        self.flags = words[1:]

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line} ```{self.lang}"


FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")


def blocks_of(path: Path) -> list[Block]:
    out: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = m.group(1), m.group(2), m.group(3).strip()
        start, body = i + 1, []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        i += 1
        out.append(Block(path, start, info, "\n".join(body) + "\n"))
    return out


# --- links -----------------------------------------------------------------

def slug(heading: str) -> str:
    """GitHub's heading anchor: lowercase, punctuation dropped, spaces to '-'."""
    text = re.sub(r"`|\*\*|\[|\]\([^)]*\)", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors_of(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    text_wo_code = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    found = set(re.findall(r'<a id="([^"]+)"', text))
    seen: dict[str, int] = {}
    for m in re.finditer(r"^#{1,6} (.+)$", text_wo_code, flags=re.M):
        s = slug(m.group(1))
        n = seen.get(s, 0)
        seen[s] = n + 1
        found.add(s if n == 0 else f"{s}-{n}")
    return found


def check_links(files: list[Path]) -> list[str]:
    errors = []
    for path in files:
        text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)
        for m in re.finditer(r"\]\(([^)\s]+)\)", text):
            target = m.group(1)
            if re.match(r"[a-z]+:", target):
                continue
            file_part, _, anchor = target.partition("#")
            dest = (path.parent / file_part).resolve() if file_part else path
            where = f"{path.relative_to(ROOT)}: link {target}"
            if not dest.exists():
                errors.append(f"{where}: no such file")
            elif anchor and dest.suffix == ".md" and anchor not in anchors_of(dest):
                errors.append(f"{where}: no such anchor")
    return errors


# --- the server -------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(tmp: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    binary = ROOT / "target/debug/alertgate"
    if not binary.exists():
        sys.exit("docs-check: target/debug/alertgate is missing: cargo build -p alertgate-server")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(tmp / "server.log", "wb")
    proc = subprocess.Popen(
        [str(binary), "serve", "--listen", f"127.0.0.1:{port}", "--db", str(tmp / "alertgate.db"),
         "--integrations", str(ROOT / "server-example/integrations.example.toml")],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit("docs-check: the server exited:\n" + (tmp / "server.log").read_text())
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit("docs-check: the server did not answer /health within 30 s")


# --- running blocks ---------------------------------------------------------

def run(cmd: list[str], env: dict[str, str], cwd: Path = ROOT, stdin: str | None = None) -> tuple[bool, str]:
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return False, f"timed out after {TIMEOUT} s"
    return p.returncode == 0, (p.stdout + p.stderr)[-4000:] + f"(exit status {p.returncode})"


def run_block(b: Block, env: dict[str, str], url: str, tmp: Path) -> tuple[bool, str]:
    code = b.code.replace(DEFAULT_URL, url)
    if b.flags and b.flags != ["not-run"]:
        return False, f"unknown flags {b.flags}"
    if "not-run" in b.flags:
        if b.lang in ("sh", "bash"):
            return run(["bash", "-n"], env, stdin=code)
        if b.lang in ("js", "mjs"):
            f = tmp / "node" / f"check{b.line}.{b.lang}"
            f.write_text(code)
            return run(["node", "--check", str(f)], env)
        return False, "only sh, bash and js blocks may be marked not-run"
    if b.lang == "rust":
        return True, ""  # checked in check_doctests
    if b.lang == "python":
        py = ROOT / "target/py-venv/bin/python"
        if not py.exists():
            return False, "target/py-venv is missing: make test-python"
        return run([str(py), "-"], env, stdin=code)
    if b.lang in ("sh", "bash"):
        return run(["bash", "-euo", "pipefail"], env, stdin=code)
    if b.lang in ("js", "mjs"):
        if not list((ROOT / "bindings/node").glob("*.node")):
            return False, "bindings/node has no built .node file: make test-node"
        is_esm = b.lang == "mjs" or re.search(r"^\s*(import|export)\s", code, flags=re.M)
        f = tmp / "node" / f"block{b.line}.{'mjs' if is_esm else 'cjs'}"
        f.write_text(code)
        return run(["node", str(f)], env)
    if b.lang == "c":
        src, exe = tmp / f"block{b.line}.c", tmp / f"block{b.line}"
        src.write_text(code)
        lib = ROOT / "target/debug"
        if not (lib / "libalertgate.so").exists():
            return False, "target/debug/libalertgate.so is missing: cargo build -p alertgate-c"
        ok, out = run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic",
                       "-I", str(ROOT / "bindings/c/include"), "-o", str(exe), str(src),
                       "-L", str(lib), "-lalertgate", f"-Wl,-rpath,{lib}"], env)
        return run([str(exe)], env) if ok else (False, out)
    if b.lang == "json":
        try:
            json.loads(code)
            return True, ""
        except ValueError as e:
            return False, f"invalid JSON: {e}"
    if b.lang == "toml":
        try:
            tomllib.loads(code)
            return True, ""
        except tomllib.TOMLDecodeError as e:
            return False, f"invalid TOML: {e}"
    if b.lang == "console":
        bad = [l for l in code.splitlines() if l.startswith("$ ")]
        return (False, f"a command in an output block: {bad[0]}") if bad else (True, "")
    return True, ""  # text, yaml: shown only


def check_doctests(b: Block) -> tuple[bool, str]:
    if b.flags:
        return False, "a Rust block must be a plain ```rust doc test (no ignore/no_run)"
    rel = b.path.relative_to(ROOT).as_posix()
    for lib in ("core/src/lib.rs", "synth/src/lib.rs"):
        if f'include_str!("../../{rel}")' in (ROOT / lib).read_text():
            return True, ""
    return False, f"{rel} is not included as doc tests in core/src/lib.rs or synth/src/lib.rs"


def main() -> int:
    files = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
    if len(sys.argv) > 1:
        files = [Path(a).resolve() for a in sys.argv[1:]]
    blocks = [b for f in files for b in blocks_of(f)]

    env = {k: v for k, v in os.environ.items()
           if not re.match(r"(ALERTGATE_|ANTHROPIC_|OPENAI_)", k)}
    env["PATH"] = f"{ROOT / 'target/debug'}{os.pathsep}{env.get('PATH', '')}"
    env["ALERTGATE_API_KEY"] = API_KEY
    tmp = Path(tempfile.mkdtemp(prefix="alertgate-docs-"))
    (tmp / "node" / "node_modules").mkdir(parents=True)
    (tmp / "node" / "node_modules" / "alertgate").symlink_to(ROOT / "bindings/node")

    server, url = start_server(tmp, env)
    env["ALERTGATE_URL"] = url
    passed = failed = 0
    counts: dict[str, int] = {}
    try:
        for b in blocks:
            if b.lang not in KNOWN:
                ok, out = False, f"unknown language {b.lang!r}: give the block a known info string"
            elif b.lang in DOCTEST:
                ok, out = check_doctests(b)
            else:
                ok, out = run_block(b, env, url, tmp)
            kind = b.lang + (" not-run" if "not-run" in b.flags else "")
            counts[kind] = counts.get(kind, 0) + 1
            if ok:
                passed += 1
                print(f"ok    {b}")
            else:
                failed += 1
                print(f"FAIL  {b}\n{out.rstrip()}\n")
        for err in check_links(files):
            failed += 1
            print(f"FAIL  {err}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        shutil.rmtree(tmp, ignore_errors=True)
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    print(f"blocks: {summary}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
