#!/usr/bin/env python3
"""Prints every benchmark as a ratio against its baseline from the same run
(criterion's median estimates in target/criterion)."""
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "target", "criterion")


def median_ns(group, bench):
    d = os.path.join(ROOT, group, bench)
    if not os.path.isdir(d):
        return None
    for sub in sorted(os.listdir(d)):
        f = os.path.join(d, sub, "new", "estimates.json")
        if os.path.exists(f):
            return json.load(open(f))["median"]["point_estimate"], sub
    return None


def main():
    if not os.path.isdir(ROOT):
        sys.exit("no criterion results: run `make bench` first")
    print(f"{'group':<28} {'bytes':>9} {'ingest':>11} {'IgnoredAny':>11} {'ratio':>7} {'Value':>11} {'ratio':>7} {'GB/s':>6}")
    for group in sorted(os.listdir(ROOT)):
        if group.startswith("verify_") or group == "report":
            continue
        ing = median_ns(group, "alertgate_ingest")
        if not ing:
            continue
        ign = median_ns(group, "serde_json_ignored_any")
        val = median_ns(group, "serde_json_value")
        size = int(ing[1])
        cells = [f"{group:<28}", f"{size:>9}", f"{ing[0]/1000:>9.2}µs"]
        if ign and val:
            cells += [f"{ign[0]/1000:>9.2}µs", f"{ing[0]/ign[0]:>6.2}×", f"{val[0]/1000:>9.2}µs", f"{ing[0]/val[0]:>6.2}×"]
        else:
            cells += [f"{'—':>11}", f"{'':>7}", f"{'—':>11}", f"{'':>7}"]
        cells.append(f"{size / ing[0]:>6.2f}")
        print(" ".join(cells))
    print()
    for group in sorted(g for g in os.listdir(ROOT) if g.startswith("verify_")):
        v = median_ns(group, "alertgate_verify")
        h = median_ns(group, "bare_hmac_sha256")
        if v and h:
            print(f"{group:<28} verify {v[0]/1000:.2f}µs  bare HMAC {h[0]/1000:.2f}µs  throughput ratio {h[0]/v[0]:.3f}")


if __name__ == "__main__":
    main()
