// The package entry: the generated napi-rs loader (index.js) as is, plus `ingest`.
//
// `ingest` returns exactly what JSON.parse(ingestJson(body, options)) would (the
// same plain objects, keys in the same order), in about half the time that takes
// (see the README's "Performance"):
//
// - Headers: reading a `req.headers` record property by property through napi
//   cost about as much as the core's whole work, so a plain record of strings is
//   flattened here into one string, `name\0value\0…` (`flatten`). Anything else
//   (pairs, Map, Headers, list values, a NUL) goes to Rust as given.
// - Result: instead of JSON text that V8 must scan and unescape, Rust
//   (`__ingestWire`; `wire` in src/ingest.rs) writes every value in a fixed
//   order, each text preceded by its length; `decode` below cuts the texts out
//   with `substring` and builds object literals of a fixed shape. A text an
//   alert repeats from an earlier alert of the result (at the same position)
//   is one marker, and `decode` reuses the string it made then. A long text
//   comes as a list of pieces, cut between alerts. For what that text does not
//   carry (an `explanation`; a map key such as `__proto__` or `toString`,
//   which assigning would not simply create) Rust sends the canonical JSON
//   instead, told apart by its leading `{`.
//
// tests/wire.test.mjs holds ingest() to JSON.parse(ingestJson()) for every vector.
'use strict'

const { __ingestWire: ingestWire } = require('./index.js')

const OBJECT = Object.prototype
const getPrototypeOf = Object.getPrototypeOf
const ownNames = Object.getOwnPropertyNames
const hasOwn = Object.hasOwn

/**
 * `headers` as `name\0value\0…` when it is a plain record of strings (as
 * `req.headers` is; `undefined` values are skipped, as Rust does), otherwise
 * `undefined`. Own string keys, as Rust reads them, in the same order.
 */
function flatten(headers) {
  if (headers === null || typeof headers !== 'object') return undefined
  const proto = getPrototypeOf(headers)
  if (proto !== OBJECT && proto !== null) return undefined
  const names = ownNames(headers)
  let flat = ''
  for (let i = 0; i < names.length; i++) {
    const name = names[i]
    const value = headers[name]
    if (typeof value !== 'string') {
      if (value === undefined) continue
      return undefined
    }
    if (name.includes('\0') || value.includes('\0')) return undefined
    flat += name + '\0' + value + '\0'
  }
  return flat
}

// The reader of a wire text: the text and the position in it. `decode` calls
// no user code, so one reader per module is safe.
let text = ''
let at = 0

/** A count, length or tier: one character below 0x60, else three (`Wire::number`). */
function num() {
  const c = text.charCodeAt(at++)
  if (c < 0x60) return c
  return ((c - 0x60) << 12) | (text.charCodeAt(at++) << 6) | text.charCodeAt(at++)
}

/** A text: its length, then its characters. */
function str() {
  const n = num()
  return text.substring(at, (at += n))
}

/** A nullable text: U+007F is `null`. */
function opt() {
  if (text.charCodeAt(at) === 0x7f) {
    at++
    return null
  }
  return str()
}

// Map keys repeat from call to call (a sender's label and annotation names, in
// the same order), and storing under a key V8 has interned already skips hashing
// and looking up a new string. So the key read at each position of the text is
// kept, and reused when the text holds the very same characters there again.
const keys = []
let slot = 0

/** A map key: a text, or the same characters as the one read at this position last time. */
function key() {
  const n = num()
  const known = keys[slot]
  if (known !== undefined && known.length === n && text.startsWith(known, at)) {
    at += n
    slot++
    return known
  }
  const k = text.substring(at, (at += n))
  if (slot < 256) keys[slot] = k
  slot++
  return k
}

/** A string map: a count, then keys and values. */
function map() {
  const out = {}
  for (let n = num(); n > 0; n--) {
    const k = key()
    out[k] = str()
  }
  return out
}

// Within an alert each value has a slot (its position from the alert's start),
// and a text the same as at that slot of an earlier alert comes as U+007E (`wire`
// in src/ingest.rs): `seen` holds the last text read at each slot, `vs` is the slot.
const seen = new Array(64).fill('')
let vs = 0

/** A text of an alert, or the one last read at its slot. */
function atext() {
  let n = text.charCodeAt(at++)
  if (n >= 0x60) {
    if (n === 0x7e) return seen[vs++]
    n = ((n - 0x60) << 12) | (text.charCodeAt(at++) << 6) | text.charCodeAt(at++)
  }
  const s = text.substring(at, (at += n))
  seen[vs++] = s
  return s
}

/** A nullable text of an alert: a `null` takes its slot too. */
function aopt() {
  if (text.charCodeAt(at) === 0x7f) {
    at++
    vs++
    return null
  }
  return atext()
}

/** A map key of an alert: the one last read at its slot, or as `key`. */
function akey() {
  if (text.charCodeAt(at) === 0x7e) {
    at++
    return seen[vs++]
  }
  const k = key()
  seen[vs++] = k
  return k
}

/** A string map of an alert. */
function amap() {
  const out = {}
  for (let n = num(); n > 0; n--) {
    const k = akey()
    out[k] = atext()
  }
  return out
}

/** An alert's links: a count, then rel and href of each. */
function links() {
  const out = new Array(num())
  for (let j = 0; j < out.length; j++) out[j] = { rel: str(), href: str() }
  return out
}

/** `links` of an alert of several. */
function alinks() {
  const out = new Array(num())
  for (let j = 0; j < out.length; j++) out[j] = { rel: atext(), href: atext() }
  return out
}

/** The only alert: no slot can repeat, so nothing need be remembered. */
function alert() {
  return {
    title: str(),
    description: opt(),
    severity: str(),
    severity_raw: opt(),
    status: str(),
    dedup_key: str(),
    dedup_basis: str(),
    service: opt(),
    host: opt(),
    labels: map(),
    annotations: map(),
    started_at: opt(),
    ended_at: opt(),
    links: links(),
    source_ref: opt(),
  }
}

/** One of several alerts: the same object as `alert` gives, its texts remembered by slot. */
function aalert() {
  vs = 0
  return {
    title: atext(),
    description: aopt(),
    severity: atext(),
    severity_raw: aopt(),
    status: atext(),
    dedup_key: atext(),
    dedup_basis: atext(),
    service: aopt(),
    host: aopt(),
    labels: amap(),
    annotations: amap(),
    started_at: aopt(),
    ended_at: aopt(),
    links: alinks(),
    source_ref: aopt(),
  }
}

/**
 * The result from `__ingestWire`'s text: the values in the order `wire`
 * (src/ingest.rs) writes them, which is the canonical key order, so each object
 * literal below reads its properties in turn (JavaScript evaluates them left to
 * right). Or the canonical JSON, when Rust could not use the wire text.
 */
function decode(wire) {
  // A long text comes in pieces, each cut before an alert (`chunks` in src/ingest.rs).
  let pieces = null
  let p = 0
  if (typeof wire !== 'string') {
    pieces = wire
    wire = pieces[0]
  } else if (wire.charCodeAt(0) === 123 /* { */) return JSON.parse(wire)
  text = wire
  at = 0
  slot = 0
  const source = str()
  const detected_by = str()
  const detection_reason = str()
  const tier = text.charCodeAt(at) === 0x7f ? (at++, null) : num()
  const group_key = opt()
  const notice = opt()
  const annotations = map()
  const alerts = new Array(num())
  if (alerts.length === 1) alerts[0] = alert()
  else
    for (let k = 0; k < alerts.length; k++) {
      if (at === text.length) {
        text = pieces[++p]
        at = 0
      }
      alerts[k] = aalert()
    }
  const warnings = new Array(num())
  for (let j = 0; j < warnings.length; j++) warnings[j] = { code: str(), message: str() }
  // Neither the text nor its slices are kept alive until the next call.
  text = ''
  if (alerts.length > 1) seen.fill('')
  return { source, detected_by, detection_reason, tier, group_key, notice, annotations, alerts, warnings }
}

/** See alertgate.d.ts. */
function ingest(body, options) {
  if (options !== null && typeof options === 'object' && hasOwn(options, 'headers')) {
    const proto = getPrototypeOf(options)
    const headers = proto === OBJECT || proto === null ? flatten(options.headers) : undefined
    if (headers !== undefined) {
      // Options of headers only need no reading in Rust at all.
      const rest = ownNames(options).length === 1 ? undefined : options
      return decode(ingestWire(body, rest, headers))
    }
  }
  return decode(ingestWire(body, options))
}

// Spelled so that Node's ESM loader sees every name (`import { ingest, Verifier } from 'alertgate'`).
// (`__ingestWire` comes along: internal, undocumented, untyped.)
module.exports = { ...require('./index.js'), ingest }
