// The JavaScript surface: the result shape, accepted argument types, every error
// code with its name and httpStatus, and templateBrief on results passed back.
import test from 'node:test'
import assert from 'node:assert/strict'
import { alertgate, thrown } from './support.mjs'

const { ingest, ingestJson, verify, sign, Verifier, SynthConfig, templateBrief, synthesizeSync } = alertgate

const AM = Buffer.from(
  '{"version":"4","status":"firing","groupKey":"g","tier":9,"alerts":[' +
    '{"status":"firing","labels":{"alertname":"HighCPU","severity":"page","service":"api","instance":"n1"},' +
    '"annotations":{"summary":"hot","runbook_url":"https://rb/1"},"fingerprint":"f1","generatorURL":"https://g/1"},' +
    '{"status":"resolved","labels":{"alertname":"DiskFull"},"fingerprint":"f2","endsAt":"2024-01-15T10:30:00Z"}]}',
)

test('the result is the canonical JSON as plain objects', () => {
  const r = ingest(AM, { headers: { 'User-Agent': 'Alertmanager/0.27.0' }, maxTier: 2 })
  assert.equal(Object.getPrototypeOf(r), Object.prototype)
  assert.deepStrictEqual(
    [r.source, r.detected_by, r.tier, r.group_key, r.notice],
    ['alertmanager', 'header', 2, 'g', null],
  )
  assert.deepStrictEqual(
    r.alerts.map((a) => a.title),
    ['HighCPU', 'DiskFull'],
  )
  const [a, b] = r.alerts
  assert.deepStrictEqual(
    [a.severity, a.service, a.host, a.dedup_key, a.dedup_basis, a.source_ref],
    ['critical', 'api', 'n1', 'f1', 'vendor', 'f1'],
  )
  assert.deepStrictEqual(a.links, [
    { rel: 'generator', href: 'https://g/1' },
    { rel: 'runbook', href: 'https://rb/1' },
  ])
  assert.deepStrictEqual(r.warnings, [{ code: 'tier_clamped', message: 'tier 9 is above max_tier 2; using 2' }])
  assert.equal(b.status, 'resolved')
  assert.equal(b.ended_at, '2024-01-15T10:30:00Z')
  assert.ok(!('explanation' in r))
  // Every key of the contract is present, in the contract's order.
  assert.deepStrictEqual(Object.keys(r), [
    'source', 'detected_by', 'detection_reason', 'tier', 'group_key', 'notice', 'annotations', 'alerts', 'warnings',
  ])
  assert.deepStrictEqual(Object.keys(a), [
    'title', 'description', 'severity', 'severity_raw', 'status', 'dedup_key', 'dedup_basis', 'service', 'host',
    'labels', 'annotations', 'started_at', 'ended_at', 'links', 'source_ref',
  ])
  assert.equal(ingestJson(AM, { maxTier: 2 }), JSON.stringify(ingest(AM, { maxTier: 2 })))
})

test('body types: Buffer, Uint8Array, string (UTF-8)', () => {
  const text = '{"summary": "héllo", "severity": "low"}'
  for (const body of [text, Buffer.from(text), new Uint8Array(Buffer.from(text)), Buffer.from(`xx${text}`).subarray(2)]) {
    assert.equal(ingest(body).alerts[0].title, 'héllo')
  }
})

test('header shapes and contentType', () => {
  const body = 'title=Queue+stuck'
  const ct = 'application/x-www-form-urlencoded'
  for (const headers of [
    [['Content-Type', ct]],
    { 'content-type': ct },
    { 'content-type': [ct] },
    new Map([['Content-Type', ct]]),
    new Headers({ 'Content-Type': ct }),
    { 'content-type': ct, 'x-absent': undefined },
  ]) {
    assert.equal(ingest(body, { headers }).alerts[0].title, 'Queue stuck')
  }
  assert.equal(ingest(body, { contentType: ct }).alerts[0].title, 'Queue stuck')
  // Without a content type the body is sniffed: plain text.
  assert.equal(ingest(body).alerts[0].title, 'title=Queue+stuck')
  // null and undefined mean "not given" everywhere.
  assert.equal(ingest(body, { contentType: null, headers: null, source: null, mapping: null }).source, 'generic')
  assert.equal(ingest(body, null).source, 'generic')
})

test('mapping as an object or as text, and explain', () => {
  const body = '{"check": {"id": "c1", "name": "API down"}}'
  for (const mapping of [
    { name: 'acme', title: '/check/name', dedup: '/check/id' },
    '{"name": "acme", "title": "/check/name", "dedup": "/check/id"}',
  ]) {
    const r = ingest(body, { mapping, explain: true })
    assert.equal(r.detection_reason, 'mapping acme')
    assert.equal(r.alerts[0].dedup_key, 'c1')
    assert.equal(r.explanation.fields[0].title, '/check/name')
    assert.ok(r.explanation.detection.length >= 1)
  }
})

test('severityOverrides map sender words first', () => {
  const body = '{"title": "x", "severity": "P0"}'
  assert.equal(ingest(body).alerts[0].severity, 'warning') // unknown word: default rule
  assert.equal(ingest(body, { severityOverrides: { p0: 'critical' } }).alerts[0].severity, 'critical')
  const e = thrown(() => ingest(body, { severityOverrides: { p0: 'urgent' } }))
  assert.equal(e.code, 'invalid_argument')
})

const ERRORS = [
  [() => ingest('  '), 'PayloadError', 'empty_body', 400],
  [() => ingest('[1]', { contentType: 'application/json' }), 'PayloadError', 'not_an_object', 400],
  [() => ingest('{\n', { contentType: 'application/json' }), 'PayloadError', 'invalid_json', 400],
  [() => ingest(Buffer.from([0xff]), { contentType: 'text/plain' }), 'PayloadError', 'invalid_utf8', 400],
  [() => ingest(Buffer.alloc((1 << 20) + 1, 'x')), 'PayloadError', 'payload_too_large', 413],
  [() => ingest('{"a":' + '['.repeat(70) + ']'.repeat(70) + '}'), 'PayloadError', 'too_deep', 400],
  [() => ingest('{"title": "x"}', { source: 'alertmanager' }), 'PayloadError', 'payload_mismatch', 400],
  [() => ingest(`{"title": "${'x'.repeat(300)}"}`, { strict: true }), 'PayloadError', 'field_too_long', 400],
  [() => ingest('{}', { source: 'nagios' }), 'ConfigError', 'unknown_source', 400],
  [() => ingest('{}', { maxTier: 0 }), 'ConfigError', 'invalid_config', 500],
  [() => ingest('{}', { mapping: { title: 'x' } }), 'ConfigError', 'invalid_mapping', 500],
  [() => new Verifier('nope', 'k'), 'ConfigError', 'invalid_config', 500],
  [() => new Verifier('github', ''), 'ConfigError', 'invalid_config', 500],
  [() => new Verifier('github', []), 'ConfigError', 'invalid_config', 500],
  [() => new Verifier('github', 'k', { timestampUnit: 'h' }), 'ConfigError', 'invalid_config', 500],
  [() => new Verifier('github', 'k', { signedContent: '{x}' }), 'ConfigError', 'invalid_config', 500],
  [() => new Verifier('github', 'k', { prefix: 'sha256=' }), 'ConfigError', 'invalid_config', 500],
  [() => verify('github', 'k', {}, 'x'), 'AuthError', 'missing_credentials', 401],
  [() => verify('bearer', 'k', { Authorization: 'Bearer no' }, 'x'), 'AuthError', 'invalid_token', 401],
  [() => verify('github', 'k', { 'X-Hub-Signature-256': 'sha256=00' }, 'x'), 'AuthError', 'malformed_signature', 401],
  [() => verify('github', 'k', { 'X-Hub-Signature-256': 'sha256=' + '0'.repeat(64) }, 'x'), 'AuthError', 'signature_mismatch', 401],
  [
    () => verify('slack', 'k', { 'X-Slack-Request-Timestamp': '1', 'X-Slack-Signature': 'v0=' + '0'.repeat(64) }, 'x', { now: 10_000 }),
    'AuthError', 'timestamp_out_of_tolerance', 401,
  ],
  [() => synthesizeSync(ingest('x'), 'x', new SynthConfig()), 'SynthesisError', 'not_configured', 503],
  [() => new SynthConfig({ provider: 'nope' }), 'ConfigError', 'invalid_config', 500],
  [() => new SynthConfig({ timeout: 0 }), 'ConfigError', 'invalid_config', 500],
]

for (const [call, name, code, status] of ERRORS) {
  test(`error ${code} (${call.toString().slice(6, 70)})`, () => {
    const e = thrown(call)
    assert.ok(e instanceof Error)
    assert.deepStrictEqual([e.name, e.code, e.httpStatus], [name, code, status])
    assert.ok(e.message.length > 0)
    assert.ok(String(e).startsWith(`${name}: `))
  })
}

const BAD_ARGUMENTS = [
  () => ingest(12),
  () => ingest(null),
  () => ingest(undefined),
  () => ingest({}),
  () => ingest(new Int16Array(2)),
  () => ingest('{}', 5),
  () => ingest('{}', { headers: 5 }),
  () => ingest('{}', { headers: [['only-one']] }),
  () => ingest('{}', { headers: [['a', 1]] }),
  () => ingest('{}', { headers: { a: 1 } }),
  () => ingest('{}', { contentType: 1 }),
  () => ingest('{}', { source: 1 }),
  () => ingest('{}', { maxTier: 1.5 }),
  () => ingest('{}', { maxTier: -1 }),
  () => ingest('{}', { maxTier: '2' }),
  () => ingest('{}', { strict: 'yes' }),
  () => ingest('{}', { explain: 1 }),
  () => ingest('{}', { mapping: 5 }),
  () => ingest('{}', { maxtier: 2 }), // a typo is not silently ignored
  () => new Verifier(1, 'k'),
  () => new Verifier('github', 5),
  () => new Verifier('github', ['k', 5]),
  () => new Verifier('github', 'k', { tolerance: -1 }),
  () => new Verifier('github', 'k', { now: 1 }), // `now` belongs to verify()
  () => new Verifier('github', 'k').verify({}, 5),
  () => new Verifier('github', 'k').verify(5, 'x'),
  () => new Verifier('github', 'k').verify({}, 'x', 'now'),
  () => verify('github', 'k', {}, 'x', { now: 1.5 }),
  () => sign('github', 5, 'x'),
  () => sign('github', 'k', 'x', { tolerance: 5 }),
  () => sign('slack', 'k', 'x', { timestamp: 'soon' }),
  () => new SynthConfig({ apiKey: 5 }),
  () => new SynthConfig({ maxTokens: 0 }),
  () => new SynthConfig({ api_key: 'k' }),
  () => SynthConfig.fromEnv({ ALERTGATE_LLM_API_KEY: 5 }),
  () => templateBrief(5),
  () => templateBrief('not json'),
  () => templateBrief({ source: 'generic' , alerts: [{}] }),
  () => templateBrief({ source: 'nagios', alerts: [] }),
  () => templateBrief({ source: 'generic', alerts: [{ title: 't', severity: 'urgent' }] }),
]

test('a wrong argument is a TypeError with code invalid_argument', () => {
  for (const call of BAD_ARGUMENTS) {
    const e = thrown(call)
    assert.ok(e instanceof TypeError, `${call}: ${e}`)
    assert.deepStrictEqual([e.code, e.httpStatus], ['invalid_argument', 500], String(call))
  }
})

test('templateBrief takes the result object, its JSON text, or an edited copy', () => {
  const body = '{"heartbeat":{"status":0,"msg":"Connection timeout"},"monitor":{"id":3,"name":"Gitea","url":"https://gitea.example.com"},"msg":"down"}'
  const expected =
    'Uptime Kuma reports 1 firing alert for gitea.example.com: Gitea (critical). Connection timeout. ' +
    'Start with the reachability of gitea.example.com (DNS, network, TLS) and the health of the service behind it.'
  const r = ingest(body)
  assert.equal(templateBrief(r), expected)
  assert.equal(templateBrief(ingestJson(body)), expected)
  assert.equal(templateBrief(JSON.parse(JSON.stringify(r))), expected)
  assert.equal(templateBrief(ingest(body, { explain: true })), expected)
  const edited = structuredClone(r)
  edited.alerts[0].title = 'Forgejo'
  assert.match(templateBrief(edited), /Forgejo \(critical\)/)
  // The minimum: a source and alerts with titles; everything else takes neutral values.
  assert.match(templateBrief({ source: 'generic', alerts: [{ title: 'Disk full', service: 'db' }] }), /Disk full/)
  // A request without alerts (a test notification) still gets a brief.
  const ping = ingest('{"zen": "Keep it logically awesome.", "hook_id": 1}', { headers: { 'X-GitHub-Event': 'ping' } })
  assert.equal(ping.alerts.length, 0)
  assert.equal(templateBrief(ping), templateBrief(JSON.stringify(ping)))
  assert.ok(templateBrief(ping).length > 0)
})

test('SynthConfig: defaults, options, fromEnv, and the key never shows', () => {
  const d = new SynthConfig()
  assert.deepStrictEqual(
    [d.provider, d.baseUrl, d.hasApiKey, d.model, d.timeout, d.maxTokens, d.maxPayloadBytes],
    ['anthropic', 'https://api.anthropic.com', false, 'claude-haiku-4-5-20251001', 20, 300, 16384],
  )
  const c = new SynthConfig({ provider: 'openai', apiKey: 'sk-SECRET', model: 'm', baseUrl: 'http://127.0.0.1:1', timeout: 0.5, maxTokens: 10, maxPayloadBytes: 100, systemPrompt: 'SYS' })
  assert.deepStrictEqual(
    [c.provider, c.baseUrl, c.hasApiKey, c.model, c.systemPrompt, c.timeout, c.maxTokens, c.maxPayloadBytes],
    ['openai', 'http://127.0.0.1:1', true, 'm', 'SYS', 0.5, 10, 100],
  )
  assert.ok(!('apiKey' in c) && !('api_key' in c))
  for (const shown of [String(c), JSON.stringify(c), JSON.stringify(c.toJSON())]) {
    assert.ok(!shown.includes('sk-SECRET'), shown)
  }
  assert.match(String(c), /hasApiKey=true/)

  const e = SynthConfig.fromEnv({ ALERTGATE_LLM_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-env', ALERTGATE_WEBHOOK_MODEL: 'local-model', ALERTGATE_LLM_TIMEOUT_S: '5' })
  assert.deepStrictEqual([e.provider, e.model, e.hasApiKey, e.timeout], ['openai', 'local-model', true, 5])
  assert.equal(SynthConfig.fromEnv({}).hasApiKey, false)

  // Default: process.env, read at the call.
  const saved = { ...process.env }
  try {
    process.env.ALERTGATE_LLM_API_KEY = 'from-process-env'
    process.env.ALERTGATE_LLM_BASE_URL = 'http://127.0.0.1:9'
    const p = SynthConfig.fromEnv()
    assert.deepStrictEqual([p.hasApiKey, p.baseUrl], [true, 'http://127.0.0.1:9'])
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
  }
})

test('VERSION is the crate version', () => {
  assert.match(alertgate.VERSION, /^\d+\.\d+\.\d+/)
})

test('the package entry is the generated loader plus ingest, for require and import', async () => {
  const { createRequire } = await import('node:module')
  const native = createRequire(import.meta.url)('../index.js')
  const names = Object.keys(native).filter((k) => !k.startsWith('__'))
  assert.ok(!('ingest' in native) && 'ingestJson' in native)
  for (const name of names) assert.equal(alertgate[name], native[name], name)
  const esm = await import('alertgate')
  for (const name of [...names, 'ingest']) assert.equal(esm[name], alertgate[name], name)
  assert.deepStrictEqual(ingest(AM), JSON.parse(ingestJson(AM)))
})

test('works in worker threads (one addon instance per environment)', async () => {
  const { Worker } = await import('node:worker_threads')
  const { once } = await import('node:events')
  const { fileURLToPath } = await import('node:url')
  const entry = fileURLToPath(new URL('../alertgate.js', import.meta.url))
  const code = `
    const { parentPort } = require('node:worker_threads')
    const ag = require(${JSON.stringify(entry)})
    const r = ag.ingest('{"title": "from a worker"}')
    const v = new ag.Verifier('opshift', 's')
    v.verify(ag.sign('opshift', 's', 'x'), 'x')
    parentPort.postMessage([r.alerts[0].title, ag.templateBrief(r).length > 0])`
  const results = await Promise.all(
    [1, 2].map(async () => {
      const w = new Worker(code, { eval: true })
      const [message] = await once(w, 'message')
      await w.terminate()
      return message
    }),
  )
  assert.deepStrictEqual(results, [['from a worker', true], ['from a worker', true]])
})
