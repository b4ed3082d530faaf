// synthesize() against a real HTTP server on 127.0.0.1 (node:http): both request shapes,
// upstream errors, bad replies, timeout and connection refused, while a timer proves the
// event loop keeps running; synthesizeSync against a server in a worker thread.
import test from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { once } from 'node:events'
import { Worker } from 'node:worker_threads'
import { alertgate } from './support.mjs'

const { ingest, synthesize, synthesizeSync, SynthConfig } = alertgate
const BODY = Buffer.from('{"tier": 2, "summary": "Checkout slow", "service": "checkout", "auth": {"api_key": "sk-SECRET"}}')

/** A canned-reply LLM server that records requests. */
async function llmServer() {
  const s = {
    status: 200,
    reply: { content: [{ type: 'text', text: 'Checkout is slow. Check the pool.' }] },
    delay: 0,
    requests: [],
  }
  s.server = http.createServer(async (req, res) => {
    const chunks = []
    for await (const c of req) chunks.push(c)
    s.requests.push({ path: req.url, headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') })
    if (s.delay) await new Promise((r) => setTimeout(r, s.delay))
    const payload = typeof s.reply === 'string' ? s.reply : JSON.stringify(s.reply)
    if (res.destroyed) return // the client gave up (timeout test)
    res.writeHead(s.status, { 'content-type': 'application/json' }).end(payload)
  })
  s.server.listen(0, '127.0.0.1')
  await once(s.server, 'listening')
  s.url = `http://127.0.0.1:${s.server.address().port}`
  s.close = () => {
    s.server.closeAllConnections()
    return new Promise((r) => s.server.close(r))
  }
  return s
}

const config = (s, options = {}) => new SynthConfig({ apiKey: 'test-key', baseUrl: s.url, ...options })

/** Counts timer ticks while `promise` runs: proof that the event loop is not blocked. */
async function ticksDuring(promise, every = 5) {
  let ticks = 0
  const timer = setInterval(() => ticks++, every)
  try {
    const value = await promise
    return { value, ticks }
  } finally {
    clearInterval(timer)
  }
}

test('anthropic request shape and brief', async (t) => {
  const s = await llmServer()
  t.after(s.close)
  const brief = await synthesize(ingest(BODY), BODY, config(s, { model: 'm1', systemPrompt: 'SYS' }))
  assert.deepStrictEqual(brief, { text: 'Checkout is slow. Check the pool.', synthesized_by: 'anthropic', model: 'm1' })
  const [{ path, headers, body }] = s.requests
  assert.equal(path, '/v1/messages')
  assert.equal(headers['x-api-key'], 'test-key')
  assert.equal(headers['anthropic-version'], '2023-06-01')
  assert.equal(body.model, 'm1')
  assert.equal(body.system, 'SYS')
  const content = body.messages[0].content
  assert.ok(content.startsWith('alertgate summary: source=generic alerts=1'), content)
  assert.ok(!content.includes('"tier"') && !content.includes('sk-SECRET') && content.includes('[redacted]'))
})

test('openai request shape', async (t) => {
  const s = await llmServer()
  t.after(s.close)
  s.reply = { choices: [{ message: { role: 'assistant', content: 'Brief: Look at checkout.' } }] }
  const brief = await synthesize(ingest(BODY), BODY, config(s, { provider: 'openai' }))
  assert.deepStrictEqual(brief, { text: 'Look at checkout.', synthesized_by: 'openai', model: 'gpt-4o-mini' })
  const [{ path, headers, body }] = s.requests
  assert.equal(path, '/v1/chat/completions')
  assert.equal(headers.authorization, 'Bearer test-key')
  assert.deepStrictEqual(body.messages.map((m) => m.role), ['system', 'user'])
})

for (const [status, reply, code] of [
  [401, { error: 'bad key' }, 'upstream_status'],
  [429, { error: 'slow down' }, 'upstream_status'],
  [500, { error: 'oops' }, 'upstream_status'],
  [200, '<html>not json</html>', 'bad_response'],
  [200, { content: [{ type: 'text', text: '  ' }] }, 'bad_response'],
  [200, { content: [] }, 'bad_response'],
]) {
  test(`HTTP ${status} ${JSON.stringify(reply).slice(0, 30)} rejects with ${code}`, async (t) => {
    const s = await llmServer()
    t.after(s.close)
    Object.assign(s, { status, reply })
    const e = await synthesize(ingest(BODY), BODY, config(s)).then(
      () => assert.fail('resolved'),
      (e) => e,
    )
    assert.ok(e instanceof Error)
    assert.deepStrictEqual([e.name, e.code, e.httpStatus], ['SynthesisError', code, 502])
    if (code === 'upstream_status') {
      assert.equal(e.upstreamStatus, status)
      assert.match(e.message, new RegExp(String(status)))
    }
  })
}

test('timeout, while the event loop keeps running', async (t) => {
  const s = await llmServer()
  t.after(s.close)
  s.delay = 3000
  const started = Date.now()
  const { value: e, ticks } = await ticksDuring(
    synthesize(ingest(BODY), BODY, config(s, { timeout: 0.4 })).then(() => assert.fail('resolved'), (e) => e),
  )
  assert.deepStrictEqual([e.code, e.httpStatus], ['timeout', 502])
  const elapsed = Date.now() - started
  assert.ok(elapsed < 2500, `took ${elapsed} ms`)
  // 0.4 s at one tick per 5 ms is ~80 ticks; a blocked loop would give 0 or 1.
  assert.ok(ticks >= 20, `only ${ticks} timer ticks during the call`)
})

test('connection refused is transport', async () => {
  // A port that was free a moment ago and is closed now.
  const probe = http.createServer().listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const port = probe.address().port
  await new Promise((r) => probe.close(r))
  const e = await synthesize(ingest(BODY), BODY, new SynthConfig({ apiKey: 'k', baseUrl: `http://127.0.0.1:${port}`, timeout: 5 })).then(
    () => assert.fail('resolved'),
    (e) => e,
  )
  assert.deepStrictEqual([e.code, e.httpStatus, e.name], ['transport', 502, 'SynthesisError'])
})

test('the event loop runs during a slow answer, and calls run in parallel on the thread pool', async (t) => {
  const s = await llmServer()
  t.after(s.close)
  s.delay = 400
  const started = Date.now()
  const calls = Array.from({ length: 3 }, () => synthesize(ingest(BODY), BODY, config(s)))
  const { value: briefs, ticks } = await ticksDuring(Promise.all(calls))
  const elapsed = Date.now() - started
  assert.equal(briefs.length, 3)
  assert.ok(briefs.every((b) => b.synthesized_by === 'anthropic'))
  assert.ok(ticks >= 20, `only ${ticks} timer ticks`)
  // Serial calls would take at least 1.2 s.
  assert.ok(elapsed < 1150, `3 calls took ${elapsed} ms`)
})

test('not configured rejects; bad arguments reject instead of throwing', async () => {
  const unset = new SynthConfig({ baseUrl: 'http://127.0.0.1:9' })
  await assert.rejects(synthesize(ingest(BODY), BODY, unset), { name: 'SynthesisError', code: 'not_configured', httpStatus: 503 })
  for (const args of [[5, BODY], [ingest(BODY), 5], ['{', BODY], [{ source: 'generic', alerts: 'x' }, BODY]]) {
    const p = synthesize(...args, unset) // returns a promise even for bad arguments
    assert.ok(p instanceof Promise)
    await assert.rejects(p, (e) => e instanceof TypeError && e.code === 'invalid_argument' && e.httpStatus === 500)
  }
})

test('without a config, synthesize reads the environment at the call', async (t) => {
  const s = await llmServer()
  t.after(s.close)
  const saved = { ...process.env }
  t.after(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
    Object.assign(process.env, saved)
  })
  process.env.ALERTGATE_LLM_PROVIDER = 'anthropic'
  process.env.ALERTGATE_LLM_API_KEY = 'env-key'
  process.env.ALERTGATE_LLM_BASE_URL = s.url
  process.env.ALERTGATE_WEBHOOK_MODEL = 'env-model'
  const brief = await synthesize(ingest(BODY), BODY)
  assert.equal(brief.model, 'env-model')
  assert.equal(s.requests[0].headers['x-api-key'], 'env-key')
})

test('synthesizeSync against a server in a worker thread (the main thread blocks)', async (t) => {
  const worker = new Worker(
    `const http = require('node:http'); const { parentPort } = require('node:worker_threads');
     const server = http.createServer((req, res) => { req.resume(); req.on('end', () =>
       res.writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ content: [{ type: 'text', text: 'Sync brief.' }] }))) });
     server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
     parentPort.on('message', () => server.close(() => process.exit(0)));`,
    { eval: true },
  )
  const [port] = await once(worker, 'message')
  t.after(() => worker.terminate())
  const cfg = new SynthConfig({ apiKey: 'k', baseUrl: `http://127.0.0.1:${port}`, timeout: 10 })
  const brief = synthesizeSync(ingest(BODY), BODY, cfg)
  assert.deepStrictEqual(brief, { text: 'Sync brief.', synthesized_by: 'anthropic', model: 'claude-haiku-4-5-20251001' })
  // The JSON text of the result works as well.
  assert.equal(synthesizeSync(alertgate.ingestJson(BODY), BODY, cfg).text, 'Sync brief.')
})
