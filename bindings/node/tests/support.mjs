// Shared helpers: the binding, and the repository's shared vectors read as every
// binding reads them (tests/vectors/<group>/<case>.<ext> + .request.json + .expected.json).
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'

const require = createRequire(import.meta.url)

/** The package, as users load it (alertgate.js: the generated loader index.js plus `ingest`). */
export const alertgate = require('alertgate')

export const VECTORS = fileURLToPath(new URL('../../../tests/vectors/', import.meta.url))

const stem = (name) => name.slice(0, name.lastIndexOf('.'))

/** Every payload vector: { name: "group/case", body: path }. */
export function payloadCases() {
  const out = []
  for (const group of readdirSync(VECTORS).sort()) {
    const dir = join(VECTORS, group)
    if (group === 'signatures' || !statSync(dir).isDirectory()) continue
    for (const file of readdirSync(dir).sort()) {
      if (file.endsWith('.expected.json') || file.endsWith('.request.json')) continue
      out.push({ name: `${group}/${stem(file)}`, body: join(dir, file) })
    }
  }
  return out
}

export function requestOf(body) {
  const path = stem(body) + '.request.json'
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {}
}

export function expectedOf(body) {
  return JSON.parse(readFileSync(stem(body) + '.expected.json', 'utf8'))
}

/** The `ingest` options a vector's request file describes. */
export function optionsOf(req) {
  const o = req.options ?? {}
  return {
    contentType: req.content_type ?? null,
    headers: req.headers ?? [],
    source: o.source ?? null,
    maxTier: o.max_tier ?? 3,
    strict: o.strict ?? false,
    mapping: o.mapping ?? null,
  }
}

/** Every signature case, with an `id` of file/scheme/name. */
export function signatureCases() {
  const dir = join(VECTORS, 'signatures')
  const cases = []
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort()) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (!line.trim()) continue
      const c = JSON.parse(line)
      c.id = `${stem(file)}/${c.scheme}/${c.name}`
      cases.push(c)
    }
  }
  return cases
}

/** Runs `fn` and returns the error it throws (fails when it does not throw). */
export function thrown(fn) {
  try {
    fn()
  } catch (e) {
    return e
  }
  throw new Error('expected an error')
}
