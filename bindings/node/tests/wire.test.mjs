// ingest() is built from a compact text (`__ingestWire`, decoded in alertgate.js), not
// from the canonical JSON: it must give exactly JSON.parse(ingestJson()) — same values,
// same key order — for every vector, on the wire path, on the JSON fallback and on the
// header fast path alike, and throw the very same errors.
import test from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { alertgate, payloadCases, requestOf, optionsOf, thrown } from './support.mjs'

const { ingest, ingestJson, __ingestWire: ingestWire } = alertgate

/** ingest(body, options) is JSON.parse(ingestJson(body, reference)), key order included. */
function same(body, options, reference = options, what = '') {
  const expected = JSON.parse(ingestJson(body, reference))
  const actual = ingest(body, options)
  assert.deepStrictEqual(actual, expected, what)
  assert.equal(JSON.stringify(actual), JSON.stringify(expected), what)
  return actual
}

/** Whether the addon sent `body` over the wire text (not the JSON fallback). */
const onWire = (body, options) => {
  const wire = ingestWire(body, options)
  return Array.isArray(wire) || !wire.startsWith('{')
}

/** The error `fn` throws, as the fields a caller sees. */
function failure(fn) {
  const e = thrown(fn)
  return { name: e.name, code: e.code, httpStatus: e.httpStatus, message: e.message, type: e.constructor.name }
}

/** A header record of `pairs` (the fast path), or null when a name repeats. */
function record(pairs) {
  const out = {}
  for (const [name, value] of pairs) {
    if (Object.hasOwn(out, name)) return null
    out[name] = value
  }
  return out
}

test('every vector: ingest equals JSON.parse(ingestJson), keys in the same order', () => {
  let compared = 0
  let wire = 0
  for (const { name, body: path } of payloadCases()) {
    const body = readFileSync(path)
    const options = optionsOf(requestOf(path))
    try {
      ingestJson(body, options)
    } catch {
      continue // the error vectors: see below
    }
    // Headers as [name, value] pairs: read by Rust.
    same(body, options, options, name)
    // As a record: flattened in alertgate.js, the other options read by Rust.
    const headers = record(options.headers)
    if (headers) {
      same(body, { ...options, headers }, options, `${name} (record)`)
      // Only the non-default options: with headers alone, Rust reads no options object.
      const only = { headers }
      for (const [k, v] of Object.entries(options)) {
        if (v !== null && k !== 'headers' && !(k === 'maxTier' && v === 3) && !(k === 'strict' && !v)) only[k] = v
      }
      same(body, only, options, `${name} (record, defaults left out)`)
    }
    // A string body, where it round-trips.
    const text = body.toString('utf8')
    if (Buffer.from(text, 'utf8').equals(body)) same(text, options, options, `${name} (string)`)
    compared++
    if (onWire(body, options)) wire++
  }
  assert.ok(compared > 100, `only ${compared} vectors`)
  // The fallback is for the odd value, not the common case.
  assert.equal(wire, compared, `${compared - wire} vectors fell back to JSON`)
})

test('every error vector throws the same error from ingest and ingestJson', () => {
  let errors = 0
  for (const { name, body: path } of payloadCases()) {
    const body = readFileSync(path)
    const options = optionsOf(requestOf(path))
    let expected
    try {
      ingestJson(body, options)
      continue
    } catch (e) {
      expected = failure(() => ingestJson(body, options))
    }
    assert.deepStrictEqual(failure(() => ingest(body, options)), expected, name)
    const headers = record(options.headers)
    if (headers) assert.deepStrictEqual(failure(() => ingest(body, { ...options, headers })), expected, name)
    errors++
  }
  assert.ok(errors >= 10, `only ${errors} error vectors`)
})

const AM = (labels, extra = {}) =>
  JSON.stringify({
    version: '4',
    status: 'firing',
    groupKey: 'g',
    alerts: [{ status: 'firing', labels: { alertname: 'A', ...labels }, fingerprint: 'f1', ...extra }],
  })
const UA = { 'user-agent': 'Alertmanager/0.27.0' }

test('values the wire text carries as is: empty, control characters, markers, long, non-ASCII, odd keys', () => {
  const long = (n) => 'x'.repeat(n - 1) + 'é'
  for (const labels of [
    { empty: '' },
    { soh: '\u0001', tab: 'a\tb', nl: 'a\nb', brace: '{', markers: '\u007f\u0060\u005f' },
    { service: '\u007f', instance: '\u0060' }, // the null marker and a length prefix as whole values
    { a: long(95), b: long(96), c: long(4095), d: long(4096) }, // one- and three-character lengths
    { 'ключ': 'значение', emoji: '🚨 down', latin1: 'café', 'mixed🚨': 'a😀b' }, // UTF-16 lengths
    { 10: 'ten', 2: 'two', b: 'b', a: 'a' }, // integer-like keys come first in JavaScript
    { Constructor: 'c', tostring: 's', proto: 'p', __proto: 'q', '': 'empty key' }, // near Object.prototype's names
  ]) {
    const body = AM(labels)
    assert.ok(onWire(body, { headers: UA }), JSON.stringify(labels))
    const r = same(body, { headers: UA })
    for (const [k, v] of Object.entries(labels)) if (k !== '') assert.equal(r.alerts[0].labels[k], v)
  }
  // A NUL survives in a warning message (the core strips it from alert fields); the
  // wire text has no separator it could be confused with.
  const nul = AM({}, { startsAt: 'not\u0000a time' })
  assert.match(ingestJson(nul), /\\u0000/)
  assert.ok(onWire(nul, {}))
  assert.match(same(nul, { headers: UA }).warnings[0].message, /\u0000/)
  // A body whose first alert field would start with `{` is still the wire text.
  assert.ok(onWire('{"title": "{x}"}', {}))
  same('{"title": "{x}"}', {})
})

test('map keys remembered from earlier calls are reused only when the same characters', () => {
  // alertgate.js keeps the key read at each position; these change, grow, shrink
  // and shift the keys at each position from one call to the next.
  const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${String(i).padStart(3, '0')}`, `v${i}`]))
  const sets = [
    { ab: '1', b: '2' },
    { abc: '1', b: '2' },
    { ab: '1', b: '2' },
    { AB: '1', b: '2' },
    { b: '2' },
    { aa: '1', ab: '2', b: '3' },
    { ab: '1', b: '2' },
    many,
    many,
    { ab: '1', b: '2' },
  ]
  for (const labels of sets) {
    for (let i = 0; i < 2; i++) {
      const r = same(AM(labels), { headers: UA }, { headers: UA }, Object.keys(labels).slice(0, 4).join())
      assert.deepStrictEqual(Object.keys(r.alerts[0].labels), Object.keys({ alertname: 'A', ...labels }).sort())
    }
  }
})

test('alerts of one result: texts repeated at the same slot, shifted slots, nulls, long results in pieces', () => {
  const alert = (i, labels, extra = {}) => ({
    status: i % 3 === 0 ? 'resolved' : 'firing',
    labels: { alertname: i % 2 ? 'A' : 'B', ...labels },
    annotations: i % 4 ? { summary: 's', runbook_url: 'https://r/' + (i % 2) } : {},
    startsAt: '2024-05-14T10:02:16.907Z',
    endsAt: i % 3 === 0 ? '2024-05-14T11:00:00Z' : '0001-01-01T00:00:00Z',
    fingerprint: i % 5 ? 'f' + i : '',
    ...extra,
  })
  const group = (alerts) => JSON.stringify({ version: '4', status: 'firing', groupKey: 'g', alerts })
  // Label counts that grow and shrink shift every later slot; empty values; a value
  // equal to the marker or to the text of a neighbouring slot.
  const shifting = [
    alert(0, { env: 'prod', team: 'x' }),
    alert(1, { env: 'prod' }),
    alert(2, {}),
    alert(3, { env: 'prod', team: 'x', extra: '' }),
    alert(4, { env: '~', team: '~' }),
    alert(5, { env: '~', team: 'prod' }),
    alert(6, { severity: 'critical', instance: 'h' }),
    alert(7, { severity: 'critical' }),
    alert(8, { instance: 'h', service: 'svc' }),
  ]
  same(group(shifting), { headers: UA })
  // More than a piece (32 KiB) of wire text: ASCII, and with UTF-16 lengths.
  for (const name of ['x', 'é🚨']) {
    const many = Array.from({ length: 600 }, (_, i) => alert(i, { env: 'prod', instance: `${name}-${i}`.repeat(4), pos: String(i % 7) }))
    const body = group(many)
    const wire = ingestWire(body, { headers: UA })
    assert.ok(Array.isArray(wire) && wire.length > 2, `${name}: ${typeof wire}`)
    const r = same(body, { headers: UA }, { headers: UA }, name)
    assert.equal(r.alerts.length, 600)
    same(body, { headers: UA }, { headers: UA }, `${name}, again`)
  }
})

test('what the wire text does not carry comes as the canonical JSON', () => {
  // A map key __proto__: JSON.parse makes an own property, a plain assignment would not.
  const proto = '{"version":"4","status":"firing","alerts":[{"labels":{"alertname":"A","__proto__":"x"}}]}'
  assert.ok(!onWire(proto, {}))
  const r = same(proto, { headers: UA })
  assert.ok(Object.hasOwn(r.alerts[0].labels, '__proto__'))
  assert.equal(Object.getPrototypeOf(r.alerts[0].labels), Object.prototype)
  // Any other name of Object.prototype: an assignment would fail were it frozen.
  for (const name of Object.getOwnPropertyNames(Object.prototype)) {
    const body = AM({ [name]: 'v' })
    assert.ok(!onWire(body, {}), name)
    assert.equal(same(body, { headers: UA }).alerts[0].labels[name], 'v', name)
  }
  // explain: the explanation travels as JSON.
  const explained = same(AM({}), { headers: UA, explain: true })
  assert.ok(explained.explanation.detection.length > 0)
  assert.ok(!onWire(AM({}), { explain: true }))
})

test('header records the fast path leaves to Rust give the same results and errors', () => {
  const body = AM({})
  // A NUL in a name or value, a list value, a non-plain object, undefined values.
  for (const headers of [
    { ...UA, 'x-nul': 'a\u0000b' },
    { ...UA, 'x-\u0000': 'v' },
    { ...UA, 'x-list': ['a', 'b'] },
    { ...UA, 'x-absent': undefined },
    Object.assign(Object.create(null), UA),
    new Map(Object.entries(UA)),
    Object.entries(UA),
    {},
  ]) {
    same(body, { headers }, { headers }, String(Object.keys(headers)))
  }
  // Non-enumerable own keys count as headers in Rust, and so they do here.
  const hidden = Object.defineProperty({}, 'user-agent', { value: 'Alertmanager/0.27.0', enumerable: false })
  assert.equal(ingest(body, { headers: hidden }).detected_by, 'header')
  // Errors: a bad header value, an unknown option next to good headers, bad types.
  const cases = [
    [body, { headers: { ...UA, 'x-n': 5 } }],
    [body, { headers: UA, maxtier: 2 }],
    [body, Object.defineProperty({ headers: UA }, 'strictly', { value: true, enumerable: false })],
    [body, { headers: UA, maxTier: 'x' }],
    [body, { headers: UA, source: 'nope' }],
    [body, 'options'],
    [42, { headers: UA }],
    ['', { headers: UA }],
  ]
  for (const [b, options] of cases) {
    const expected = failure(() => ingestJson(b, options))
    assert.equal(typeof expected.code, 'string')
    assert.equal(typeof expected.httpStatus, 'number')
    assert.deepStrictEqual(failure(() => ingest(b, options)), expected, JSON.stringify(options))
  }
})

test('a frozen Object.prototype (in a worker) changes nothing', async () => {
  const { Worker } = await import('node:worker_threads')
  const { once } = await import('node:events')
  const { fileURLToPath } = await import('node:url')
  const entry = fileURLToPath(new URL('../alertgate.js', import.meta.url))
  const bodies = [AM({ toString: 's', constructor: 'c', a: '1' }), AM({ a: '1', b: '2' })]
  const code = `
    const { parentPort, workerData } = require('node:worker_threads')
    const ag = require(${JSON.stringify(entry)})
    Object.freeze(Object.prototype)
    const headers = { 'user-agent': 'Alertmanager/0.27.0' }
    parentPort.postMessage(workerData.map((b) => [JSON.stringify(ag.ingest(b, { headers })), ag.ingestJson(b, { headers })]))`
  const w = new Worker(code, { eval: true, workerData: bodies })
  const [results] = await once(w, 'message')
  await w.terminate()
  for (const [actual, json] of results) assert.equal(actual, JSON.stringify(JSON.parse(json)))
})
