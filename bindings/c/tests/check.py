#!/usr/bin/env python3
"""Builds and runs the C test programs against libalertgate (static and shared),
under valgrind, and checks their output against the shared vectors.

The C programs read manifests this script writes from tests/vectors (fields
hex-encoded, "-" for NULL) and print what the library returned; this script
compares that with the expected files. Usage: check.py LIBDIR (the cargo target
dir holding libalertgate.a and libalertgate.so, built with --features test-hooks).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
VECTORS = os.path.join(ROOT, "tests", "vectors")
INCLUDE = os.path.join(HERE, "..", "include")
CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-D_GNU_SOURCE", "-I", INCLUDE]
VALGRIND = ["valgrind", "--leak-check=full", "--show-leak-kinds=definite,indirect,possible",
            "--errors-for-leak-kinds=definite,indirect,possible", "--error-exitcode=1", "-q"]
PROGRAMS = ["vectors", "signatures", "api", "threads"]
# Every scheme the core knows (Scheme::ALL): each must have signature vectors.
SCHEMES = {"bearer", "shared_secret", "hmac_sha256", "github", "opsknight", "opshift", "grafana", "pagerduty",
           "sentry", "slack", "stripe", "standard_webhooks", "svix", "basic", "sns"}


def hexf(s):
    if s is None:
        return "-"
    if isinstance(s, str):
        s = s.encode()
    return s.hex()


def payload_cases():
    for group in sorted(os.listdir(VECTORS)):
        d = os.path.join(VECTORS, group)
        if not os.path.isdir(d) or group == "signatures":
            continue
        for f in sorted(os.listdir(d)):
            if f.endswith(".expected.json") or f.endswith(".request.json"):
                continue
            case = f.rsplit(".", 1)[0]
            yield group, case, os.path.join(d, f)


def vectors_manifest(path):
    expected = {}
    with open(path, "w") as out:
        for group, case, body in payload_cases():
            name = f"{group}/{case}"
            req_path = os.path.join(VECTORS, group, case + ".request.json")
            req = json.load(open(req_path)) if os.path.exists(req_path) else {}
            opts = req.get("options", {})
            headers = req.get("headers", [])
            fields = [name, body, hexf(req.get("content_type")), str(len(headers))]
            for n, v in headers:
                fields += [hexf(n), hexf(v)]
            fields += [
                hexf(opts.get("source")),
                str(opts["max_tier"]) if "max_tier" in opts else "-",
                "1" if opts.get("strict") else "0",
                hexf(json.dumps(opts["mapping"])) if "mapping" in opts else "-",
            ]
            out.write("\t".join(fields) + "\n")
            expected[name] = json.load(open(os.path.join(VECTORS, group, case + ".expected.json")))
    return expected


def signature_manifest(path):
    expected = {}
    with open(path, "w") as out:
        d = os.path.join(VECTORS, "signatures")
        for f in sorted(os.listdir(d)):
            if not f.endswith(".jsonl"):
                continue
            for line in open(os.path.join(d, f), encoding="utf-8"):
                c = json.loads(line)
                name = f"{f[:-6]}/{c['scheme']}/{c['name']}"
                o = c["options"]
                fields = [name, hexf(c["scheme"]), str(len(c["secrets"]))]
                fields += [hexf(s) for s in c["secrets"]]
                fields += [str(o.get("tolerance", 300))]
                fields += [hexf(o.get(k)) for k in ("signature_header", "timestamp_header", "timestamp_unit",
                                                     "id_header", "prefix", "signed_content", "topic_arn")]
                fields += [str(len(c["headers"]))]
                for n, v in c["headers"]:
                    fields += [hexf(n), hexf(v)]
                fields += [hexf(c["body"]), str(c["now"]), hexf(c.get("certificate"))]
                sign = c.get("sign")
                fields += ["1" if sign is not None else "0",
                           str(sign["timestamp"]) if sign and "timestamp" in sign else "-",
                           hexf(sign.get("id")) if sign else "-"]
                out.write("\t".join(fields) + "\n")
                expected[name] = c
    return expected


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.stderr.write(f"FAILED ({r.returncode}): {' '.join(cmd)}\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}\n")
    return r


def main():
    libdir = os.path.abspath(sys.argv[1])
    static = os.path.join(libdir, "libalertgate.a")
    tmp = tempfile.mkdtemp(prefix="alertgate-c-")
    failures = 0
    try:
        vec_manifest = os.path.join(tmp, "vectors.tsv")
        sig_manifest = os.path.join(tmp, "signatures.tsv")
        vec_expected = vectors_manifest(vec_manifest)
        sig_expected = signature_manifest(sig_manifest)
        binaries = []
        for prog in PROGRAMS:
            src = os.path.join(HERE, prog + ".c")
            for kind in ("static", "shared"):
                exe = os.path.join(tmp, f"{prog}-{kind}")
                link = ([static, "-lpthread", "-ldl", "-lm"] if kind == "static"
                        else ["-L", libdir, "-Wl,-rpath," + libdir, "-lalertgate", "-lpthread"])
                if run(["gcc", *CFLAGS, "-o", exe, src, *link]).returncode != 0:
                    return 1
                binaries.append((prog, kind, exe))

        passed = 0
        for prog, kind, exe in binaries:
            arg = {"vectors": [vec_manifest], "signatures": [sig_manifest]}.get(prog, [])
            r = run([*VALGRIND, exe, *arg])
            label = f"{prog} ({kind}, valgrind)"
            if r.returncode != 0:
                print(f"not ok: {label}")
                failures += 1
                continue
            if prog == "vectors":
                bad = check_vectors(r.stdout, vec_expected)
            elif prog == "signatures":
                bad = check_signatures(r.stdout, sig_expected)
            else:
                bad = [l for l in r.stdout.splitlines() if l.startswith("not ok")]
                passed += sum(1 for l in r.stdout.splitlines() if l.startswith("ok"))
            if bad:
                failures += len(bad)
                print(f"not ok: {label}")
                for b in bad[:20]:
                    print("   ", b)
            else:
                print(f"ok: {label}")
                passed += 1
        print(f"c: {passed} passed, {failures} failed")
        return 1 if failures else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_vectors(stdout, expected):
    seen, bad = set(), []
    for line in stdout.splitlines():
        parts = line.split("\t")
        name = parts[0]
        seen.add(name)
        if parts[1] == "OK":
            got = json.loads(bytes.fromhex(parts[2]).decode())
        else:
            got = {"error": {"code": parts[3], "http_status": int(parts[4]),
                             "message": bytes.fromhex(parts[5]).decode()}}
            if got["error"]["code"] == "unknown_source":
                # ag_options_set_source reports a status, not a message: compare the code.
                got["error"]["message"] = expected[name].get("error", {}).get("message")
        if got != expected[name]:
            bad.append(f"{name}: got {json.dumps(got)[:300]}")
    bad += [f"{n}: no output" for n in expected if n not in seen]
    return bad


def check_signatures(stdout, expected):
    seen, bad = set(), []
    for line in stdout.splitlines():
        parts = line.split("\t")
        name, got = parts[0], parts[1]
        seen.add(name)
        c = expected[name]
        if got != c["expect"]:
            bad.append(f"{name}: expected {c['expect']}, got {got}")
        if len(parts) > 2:
            signed = json.loads(bytes.fromhex(parts[2]).decode())
            want = {n.lower(): v for n, v in c["headers"]}
            if {n.lower(): v for n, v in signed.items()} != want:
                bad.append(f"{name}: ag_sign gave {signed}, expected {want}")
    bad += [f"{n}: no output" for n in expected if n not in seen]
    schemes = {c["scheme"] for c in expected.values()}
    if schemes != SCHEMES:
        bad.append(f"schemes without vectors: {sorted(SCHEMES - schemes)}; unknown: {sorted(schemes - SCHEMES)}")
    return bad


if __name__ == "__main__":
    sys.exit(main())
