// No memory growth over 200,000 calls (run with --expose-gc; `npm test` and test.sh do).
import test from 'node:test'
import assert from 'node:assert/strict'
import v8 from 'node:v8'
import vm from 'node:vm'
import { alertgate } from './support.mjs'

// Without --expose-gc (a bare `node --test`), expose it now.
if (typeof globalThis.gc !== 'function') {
  v8.setFlagsFromString('--expose-gc')
  globalThis.gc = vm.runInNewContext('gc')
}

const BODY = Buffer.from(
  '{"version":"4","status":"firing","alerts":[{"status":"firing","labels":' +
    '{"alertname":"HighCPU","instance":"n1","severity":"warning"},"annotations":{"summary":"hot"},' +
    '"startsAt":"2024-01-15T10:30:00Z","fingerprint":"f1"}]}',
)
const HEADERS = { 'user-agent': 'Alertmanager/0.27.0', 'content-type': 'application/json' }
const verifier = new alertgate.Verifier('opshift', 's3cret')
const SIGNED = alertgate.sign('opshift', 's3cret', BODY)

function work(n) {
  for (let i = 0; i < n; i++) {
    const r = alertgate.ingest(BODY, { headers: HEADERS })
    if (r.alerts[0].title !== 'HighCPU') throw new Error('wrong result')
    alertgate.ingestJson(BODY)
    verifier.verify(SIGNED, BODY)
    try {
      alertgate.ingest('  ') // the error path: a JS Error object per call
    } catch (e) {
      if (e.code !== 'empty_body') throw e
    }
    try {
      verifier.verify({}, BODY)
    } catch (e) {
      if (e.code !== 'missing_credentials') throw e
    }
  }
}

function settledRss() {
  for (let i = 0; i < 3; i++) globalThis.gc()
  return process.memoryUsage().rss
}

test('no RSS growth over 200,000 calls', { timeout: 600_000 }, (t) => {
  work(20_000) // warm up the JIT, V8's heap and the allocator
  const before = settledRss()
  work(200_000)
  const grown = (settledRss() - before) / 1024
  // A leak of 40 bytes per call would already be 8 MB here.
  assert.ok(grown < 8 * 1024, `RSS grew by ${grown.toFixed(0)} KiB`)
  t.diagnostic(`RSS change over 200,000 calls: ${grown.toFixed(0)} KiB`)
})
