// Every shared payload vector through ingest() deep-equals the expected canonical JSON
// (or the expected error JSON, built from the thrown error's code, message and httpStatus).
import test from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { alertgate, payloadCases, requestOf, expectedOf, optionsOf } from './support.mjs'

const CASES = payloadCases()

function run(body, options, read = (p) => readFileSync(p)) {
  try {
    return alertgate.ingest(read(body), options)
  } catch (e) {
    assert.equal(typeof e.code, 'string', `not an alertgate error: ${e}`)
    return { error: { code: e.code, message: e.message, http_status: e.httpStatus } }
  }
}

test('there are vectors', () => {
  assert.ok(CASES.length >= 150, `only ${CASES.length} vectors`)
})

for (const { name, body } of CASES) {
  test(`vector ${name}`, () => {
    const req = requestOf(body)
    assert.deepStrictEqual(run(body, optionsOf(req)), expectedOf(body))
  })
}

test('ingestJson is the same document, and mapping as text equals mapping as object', () => {
  let compared = 0
  for (const { body } of CASES) {
    const req = requestOf(body)
    const options = optionsOf(req)
    if (options.mapping) options.mapping = JSON.stringify(options.mapping)
    const expected = expectedOf(body)
    if (expected.error) continue
    const text = alertgate.ingestJson(readFileSync(body), options)
    assert.equal(typeof text, 'string')
    assert.deepStrictEqual(JSON.parse(text), expected, body)
    compared++
  }
  assert.ok(compared > 100)
})

test('a string body reads like its UTF-8 bytes', () => {
  for (const { name, body } of CASES) {
    const bytes = readFileSync(body)
    const text = bytes.toString('utf8')
    // Only bodies that are valid UTF-8 round-trip through a JavaScript string.
    if (!Buffer.from(text, 'utf8').equals(bytes)) continue
    const options = optionsOf(requestOf(body))
    assert.deepStrictEqual(run(body, options, () => text), expectedOf(body), name)
    assert.deepStrictEqual(run(body, options, () => new Uint8Array(bytes)), expectedOf(body), name)
  }
})
