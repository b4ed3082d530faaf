// Benchmark: alertgate.ingest against JSON.parse plus a straightforward JavaScript
// normalisation of the same Alertmanager payload (the baseline below produces the
// very same canonical object for these payloads, checked before timing).
//
//   node --expose-gc bench.mjs            (after `npm run build`)
//   BENCH_MS=2000 BENCH_ROUNDS=9 node --expose-gc bench.mjs   (longer)
//
// Variants:
//   ingest            ingest(buffer, { headers }): alertgate.js flattens the headers record
//                     to one string; Rust sends the result back as a compact length-prefixed
//                     text, which alertgate.js cuts into the canonical objects (no JSON.parse)
//   ingestJson        ingestJson(buffer, { headers }): the canonical JSON text only
//   baseline          JSON.parse(buffer.toString()) + normalise() in JavaScript
//   JSON.parse only   JSON.parse(buffer.toString()): the baseline's parsing alone

import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const alertgate = require('alertgate')

const VECTORS = fileURLToPath(new URL('../../tests/vectors/alertmanager/', import.meta.url))
const ROUND_MS = Number(process.env.BENCH_MS ?? 500)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7)

// ---------------------------------------------------------------- the JavaScript baseline

const SEVERITY = {
  critical: 'critical', crit: 'critical', fatal: 'critical', emergency: 'critical', page: 'critical',
  high: 'critical', p1: 'critical', sev0: 'critical',
  error: 'error', err: 'error', major: 'error', p2: 'error', sev1: 'error',
  warning: 'warning', warn: 'warning', medium: 'warning', moderate: 'warning', p3: 'warning', sev2: 'warning',
  info: 'info', information: 'info', informational: 'info', low: 'info', minor: 'info', p4: 'info',
  p5: 'info', sev3: 'info', sev4: 'info', ok: 'info',
}
const STATUS = { firing: 'triggered', resolved: 'resolved' }

const str = (v) => (typeof v === 'string' && v !== '' ? v : null)
const sorted = (o) => {
  const out = {}
  if (o && typeof o === 'object') {
    for (const k of Object.keys(o).sort()) if (typeof o[k] === 'string') out[k] = o[k]
  }
  return out
}
const time = (t) => (typeof t === 'string' && t !== '' && !t.startsWith('0001-01-01') ? t : null)

/** What a hand-written receiver does: parse, pick fields, map words, sort, link. */
function normalise(buffer, headers) {
  const p = JSON.parse(buffer.toString('utf8'))
  const ua = headers['user-agent'] ?? ''
  const alerts = (Array.isArray(p.alerts) ? p.alerts : []).map((a) => {
    const labels = sorted(a.labels)
    const annotations = sorted(a.annotations)
    const status = STATUS[String(a.status ?? p.status ?? '').trim().toLowerCase()] ?? 'triggered'
    const raw = str(labels.severity)
    const severity = (raw && SEVERITY[raw.trim().toLowerCase()]) ?? (status === 'resolved' ? 'info' : 'warning')
    const links = []
    if (str(a.generatorURL)) links.push({ rel: 'generator', href: a.generatorURL })
    if (str(annotations.runbook_url)) links.push({ rel: 'runbook', href: annotations.runbook_url })
    if (str(p.externalURL)) links.push({ rel: 'external', href: p.externalURL })
    return {
      title: labels.alertname ?? annotations.summary,
      description: annotations.description ?? annotations.summary ?? null,
      severity,
      severity_raw: raw,
      status,
      dedup_key: a.fingerprint,
      dedup_basis: 'vendor',
      service: str(labels.service),
      host: str(labels.instance),
      labels,
      annotations,
      started_at: time(a.startsAt),
      ended_at: status === 'resolved' ? time(a.endsAt) : null,
      links,
      source_ref: a.fingerprint,
    }
  })
  return {
    source: 'alertmanager',
    detected_by: ua.startsWith('Alertmanager/') ? 'header' : 'shape',
    detection_reason: 'User-Agent starts with Alertmanager/',
    tier: null,
    group_key: str(p.groupKey),
    notice: null,
    annotations: {},
    alerts,
    warnings: [],
  }
}

// ---------------------------------------------------------------- timing

/** Calls per second of `fn` over about ROUND_MS. */
function rate(fn) {
  globalThis.gc?.()
  let n = 0
  const start = process.hrtime.bigint()
  const end = start + BigInt(ROUND_MS) * 1_000_000n
  let now = start
  while (now < end) {
    for (let i = 0; i < 500; i++) fn()
    n += 500
    now = process.hrtime.bigint()
  }
  return n / (Number(now - start) / 1e9)
}

/** The median rate of each variant; rounds interleave the variants so drift hits all alike. */
function measure(variants) {
  for (const fn of Object.values(variants)) for (let i = 0; i < 20_000; i++) fn() // JIT warm-up
  const rates = Object.fromEntries(Object.keys(variants).map((k) => [k, []]))
  for (let r = 0; r < ROUNDS; r++) {
    for (const [label, fn] of Object.entries(variants)) rates[label].push(rate(fn))
  }
  const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1]
  return Object.fromEntries(Object.entries(rates).map(([k, xs]) => [k, median(xs)]))
}

const fmt = (rate) => `${(rate / 1000).toFixed(1).padStart(7)} k/s  ${(1e6 / rate).toFixed(2).padStart(6)} µs/call`

const results = {}
for (const name of ['firing_single', 'multi_alert']) {
  const buffer = readFileSync(VECTORS + name + '.json')
  const headers = { 'user-agent': 'Alertmanager/0.27.0', 'content-type': 'application/json' }
  const opts = { headers }

  // The baseline does the same work: it yields the same canonical object.
  assert.deepEqual(normalise(buffer, headers), alertgate.ingest(buffer, opts))

  const rates = measure({
    ingest: () => alertgate.ingest(buffer, opts),
    ingestJson: () => alertgate.ingestJson(buffer, opts),
    baseline: () => normalise(buffer, headers),
    'JSON.parse only': () => JSON.parse(buffer.toString('utf8')),
  })
  console.log(`\n${name}.json (${buffer.length} bytes), median of ${ROUNDS} rounds of ${ROUND_MS} ms`)
  for (const [label, r] of Object.entries(rates)) console.log(`  ${label.padEnd(18)} ${fmt(r)}`)
  const ratio = rates.ingest / rates.baseline
  console.log(`  ingest / baseline: ${ratio.toFixed(2)}x the baseline's throughput`)
  results[name] = { ...rates, ratio }
}

const worst = Math.min(...Object.values(results).map((r) => r.ratio))
console.log(`\nsummary: ingest runs at ${worst.toFixed(2)}x the JavaScript baseline's throughput (worst payload)`)
if (process.env.BENCH_JSON) console.log(JSON.stringify(results))
