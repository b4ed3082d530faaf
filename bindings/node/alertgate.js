// The package entry: the generated napi-rs loader (index.js) as is, plus `ingest`.
//
// `ingest` is JSON.parse of the canonical JSON text the Rust core builds
// (`ingestJson`): V8 builds the whole object graph in one call. Parsing here in
// JavaScript measured faster than calling JSON.parse from Rust through napi
// (bench/ingest.mjs and the README's "Performance"), hence this one function.
'use strict'

const { ingestJson } = require('./index.js')

/** See alertgate.d.ts. */
function ingest(body, options) {
  return JSON.parse(ingestJson(body, options))
}

// Spelled so that Node's ESM loader sees every name (`import { ingest, Verifier } from 'alertgate'`).
module.exports = { ...require('./index.js'), ingest }
