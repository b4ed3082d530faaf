#!/usr/bin/env bash
# Everything from a clean checkout of bindings/node: install the pinned tools (npm ci),
# build the addon from source (release), type-check the .d.ts, run every test file
# (library and example). Prints one summary line; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")"

log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
fail() {
  echo
  echo "test.sh: FAILED at: $1"
  exit 1
}
step() {
  echo
  echo "==> $1"
}

step "npm ci"
npm ci --no-audit --no-fund || fail "npm ci"

step "npm run build (release, from source)"
# The generated loader and type definitions are committed: a build must not change them.
for f in index.js index.d.ts; do [ -f "$f" ] && cp "$f" "$log/$f.committed"; done
npm run build || fail "npm run build"
for f in index.js index.d.ts; do
  if [ -f "$log/$f.committed" ] && ! cmp -s "$f" "$log/$f.committed"; then
    fail "$f was stale: the build regenerated it; review and commit the new one"
  fi
done

step "tsc --noEmit --strict -p tests/types"
npx tsc --noEmit --strict -p tests/types || fail "tsc"

step "node --test (library and example)"
files=(tests/*.test.mjs examples/opshift/test/*.test.mjs)
status=0
node --test --expose-gc "${files[@]}" > "$log/tap" 2>&1 || status=$?
grep -E '^not ok|^# (tests|pass|fail|cancelled|skipped|todo|duration_ms) ' "$log/tap" || true
if [ "$status" -ne 0 ]; then
  echo
  cat "$log/tap" | grep -B2 -A30 '^not ok' | head -150 || true
  fail "node --test (exit $status)"
fi

count() { sed -n "s/^# $1 //p" "$log/tap" | tail -1; }
echo
echo "test.sh: OK — build, tsc and ${#files[@]} test files: $(count tests) tests, $(count pass) passed, $(count fail) failed, $(count skipped) skipped"
