// Benchmark: alertgate.ingest against JSON.parse plus a straightforward JavaScript
// normalisation of the same Alertmanager payloads (the baseline below produces the
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
//   ingest + read,    each followed by reading every field of every alert (readAll), what
//   baseline + read   an application that uses the result pays
//   JSON.parse only   JSON.parse(buffer.toString()): the baseline's parsing alone
//
// Payloads: the vectors firing_single.json (1 alert) and multi_alert.json (3), and the
// criterion benches' generated groups of 50 alerts and the largest under 1 MiB. The
// targets table gives ingest's and ingest + read's throughput over the baseline's.

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
    for (let i = 0; i < 5; i++) fn()
    n += 5
    now = process.hrtime.bigint()
  }
  return n / (Number(now - start) / 1e9)
}

/** The median rate of each variant; rounds interleave the variants so drift hits all alike. */
function measure(variants, large = false) {
  // JIT warm-up (fewer calls on a large body, each of which takes milliseconds)
  for (const fn of Object.values(variants)) for (let i = 0; i < (large ? 50 : 20_000); i++) fn()
  const rates = Object.fromEntries(Object.keys(variants).map((k) => [k, []]))
  for (let r = 0; r < ROUNDS; r++) {
    for (const [label, fn] of Object.entries(variants)) rates[label].push(rate(fn))
  }
  const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1]
  return Object.fromEntries(Object.entries(rates).map(([k, xs]) => [k, median(xs)]))
}

const fmt = (rate) => `${(rate / 1000).toFixed(1).padStart(7)} k/s  ${(1e6 / rate).toFixed(2).padStart(6)} µs/call`

// The alert of benches/src/lib.rs `alertmanager(n)`, character for character.
const amAlert = (i) =>
  `{"status":"firing","labels":{"alertname":"HighRequestLatency","env":"prod","instance":"checkout-api-${String(i).padStart(4, '0')}.prod.internal:8080","job":"checkout-api","service":"checkout","severity":"warning","team":"payments"},"annotations":{"description":"p99 latency for checkout-api instance ${i} was 1.84s over the last 10 minutes (threshold 1s); upstream payment-gateway responses dominate the tail.","runbook_url":"https://runbooks.internal.example.org/checkout/latency","summary":"checkout-api p99 latency above 1s on instance ${i}"},"startsAt":"2024-05-14T10:02:16.907Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus-0.mon.internal:9090/graph?g0.expr=histogram_quantile%280.99%2C+sum+by+%28le%29+%28rate%28http_request_duration_seconds_bucket%7Bjob%3D%22checkout-api%22%7D%5B5m%5D%29%29%29+%3E+1\\u0026g0.tab=1","fingerprint":"${i.toString(16).padStart(16, '0')}"}`
/** An Alertmanager group of `n` distinct alerts (the criterion benches' bytes). */
const alertmanager = (n) =>
  Buffer.from(
    `{"receiver":"ops","status":"firing","alerts":[${Array.from({ length: n }, (_, i) => amAlert(i)).join(',')}],"groupLabels":{"alertname":"HighRequestLatency"},"commonLabels":{"alertname":"HighRequestLatency","env":"prod"},"commonAnnotations":{},"externalURL":"http://alertmanager.mon.internal:9093","version":"4","groupKey":"{}:{alertname=\\"HighRequestLatency\\"}","truncatedAlerts":0}`,
  )
function alertmanager1mb() {
  const per = alertmanager(2).length - alertmanager(1).length
  let n = Math.floor((1 << 20) / per)
  while (alertmanager(n).length > 1 << 20) n--
  return alertmanager(n)
}

/** Reads every field of every alert (what an application that uses the result does). */
function readAll(r) {
  let n = r.source.length + r.detection_reason.length + (r.group_key?.length ?? 0)
  for (const a of r.alerts) {
    n += a.title.length + (a.description?.length ?? 0) + a.severity.length + (a.severity_raw?.length ?? 0)
    n += a.status.length + a.dedup_key.length + a.dedup_basis.length + (a.service?.length ?? 0)
    n += (a.host?.length ?? 0) + (a.started_at?.length ?? 0) + (a.ended_at?.length ?? 0) + (a.source_ref?.length ?? 0)
    for (const k in a.labels) n += a.labels[k].length
    for (const k in a.annotations) n += a.annotations[k].length
    for (const l of a.links) n += l.href.length
  }
  return n
}

const TARGET = 1.5
const results = {}
const payloads = [
  ['firing_single.json', readFileSync(VECTORS + 'firing_single.json')],
  ['multi_alert.json', readFileSync(VECTORS + 'multi_alert.json')],
  ['50 alerts', alertmanager(50)],
  ['largest < 1 MiB', alertmanager1mb()],
]
const large = (buffer) => buffer.length > 100_000
for (const [name, buffer] of payloads) {
  const headers = { 'user-agent': 'Alertmanager/0.27.0', 'content-type': 'application/json' }
  const opts = { headers }

  // The baseline does the same work: it yields the same canonical object.
  assert.deepEqual(normalise(buffer, headers), alertgate.ingest(buffer, opts))

  const rates = measure(
    {
      ingest: () => alertgate.ingest(buffer, opts),
      baseline: () => normalise(buffer, headers),
      'ingest + read': () => readAll(alertgate.ingest(buffer, opts)),
      'baseline + read': () => readAll(normalise(buffer, headers)),
      ingestJson: () => alertgate.ingestJson(buffer, opts),
      'JSON.parse only': () => JSON.parse(buffer.toString('utf8')),
    },
    large(buffer),
  )
  console.log(`\n${name} (${buffer.length} bytes), median of ${ROUNDS} rounds of ${ROUND_MS} ms`)
  for (const [label, r] of Object.entries(rates)) console.log(`  ${label.padEnd(18)} ${fmt(r)}`)
  const ratio = rates.ingest / rates.baseline
  const read = rates['ingest + read'] / rates['baseline + read']
  console.log(`  ingest / baseline: ${ratio.toFixed(2)}x the baseline's throughput; with every field read ${read.toFixed(2)}x`)
  results[name] = { ...rates, ratio, read }
}

console.log(`\ntargets (throughput / the JavaScript baseline's, this run; target ≥ ${TARGET}x)`)
console.log(`  ${'payload'.padEnd(22)} ${'ingest'.padStart(8)} ${''.padStart(8)} ${'+ read'.padStart(8)}`)
let met = 0
for (const [name, r] of Object.entries(results)) {
  const v = (x) => `${x.toFixed(2)}x`.padStart(8) + (x >= TARGET ? '     met' : ' NOT met')
  met += (r.ratio >= TARGET) + (r.read >= TARGET)
  console.log(`  ${name.padEnd(22)} ${v(r.ratio)} ${v(r.read)}`)
}
console.log(`targets met: ${met} of ${2 * Object.keys(results).length}`)
if (process.env.BENCH_JSON) console.log(JSON.stringify(results))
