// The OpShift trigger API over real HTTP (server on 127.0.0.1, port 0): signatures,
// validation, 404/403/429, filter rules and folding. Signatures are made with
// node:crypto (and once with the README's openssl pipeline), independently of alertgate.
import test from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createHmac } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createOpShiftServer, loadConfig } from '../server.mjs'

const SECRET = 'team-secret'
const CONFIG = {
  rateLimit: { max: 1000, windowSeconds: 60 },
  teams: {
    platform: { secret: SECRET, subscriptionExpiresAt: '2099-01-01T00:00:00Z' },
    rotating: { secrets: ['new-secret', 'old-secret'] },
    lapsed: { secret: 'lapsed-secret', subscriptionExpiresAt: '2024-01-01T00:00:00Z' },
  },
  webhooks: {
    'deploy-failures': { team: 'platform', defaultSeverity: 'sev2', filters: ['metadata.branch != main'] },
    'db-alerts': { team: 'platform', defaultSeverity: 'sev1', filters: ['metadata.environment == staging'] },
    'rotated': { team: 'rotating' },
    'limited': { team: 'platform', rateLimit: { max: 3, windowSeconds: 60 } },
    'old-cron': { team: 'platform', enabled: false },
    'legacy': { team: 'lapsed' },
  },
}

const hmac = (secret, body) => createHmac('sha256', secret).update(body).digest('hex')

let server, base
const clock = { t: Date.parse('2025-06-01T12:00:00Z') }

test.before(async () => {
  server = createOpShiftServer(CONFIG, { now: () => clock.t })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  base = `http://127.0.0.1:${server.address().port}`
})
test.after(() => new Promise((r) => server.close(r)))

/** POSTs `body` (an object is serialised) to a webhook, signed unless told otherwise. */
async function trigger(url, body, { secret = SECRET, signature, contentType = 'application/json' } = {}) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body)
  const headers = { 'content-type': contentType }
  const sig = signature === undefined ? hmac(secret, raw) : signature
  if (sig !== null) headers['x-webhook-signature'] = sig
  const res = await fetch(`${base}/api/alerts/trigger/${url}`, { method: 'POST', headers, body: raw })
  return { status: res.status, headers: res.headers, json: await res.json() }
}

async function resolveAlert(alertId, secret = SECRET) {
  const res = await fetch(`${base}/api/alerts/${alertId}/resolve`, {
    method: 'POST',
    headers: { 'x-webhook-signature': hmac(secret, '') },
  })
  return { status: res.status, json: await res.json() }
}

const DEPLOY = {
  title: 'Deploy failed: api-gateway',
  description: 'Migration step exited with code 137',
  severity: 'sev1',
  metadata: { commit: 'a1b2c3', environment: 'production', branch: 'main' },
  group_key: 'deploy:api-gateway',
}

test('created, then occurrence_added for the same group_key while open', async () => {
  const first = await trigger('deploy-failures', DEPLOY)
  assert.equal(first.status, 200)
  assert.deepStrictEqual(
    { ...first.json, alertId: 'x' },
    { alertId: 'x', status: 'created', message: 'Alert created', occurrenceCount: 1 },
  )
  assert.match(first.json.alertId, /^[0-9a-f]{24}$/)
  for (const n of [2, 3]) {
    const again = await trigger('deploy-failures', { ...DEPLOY, description: `attempt ${n}` })
    assert.deepStrictEqual(again.json, {
      alertId: first.json.alertId,
      status: 'occurrence_added',
      message: 'Occurrence added to open alert',
      occurrenceCount: n,
    })
  }
  const alert = server.app.alerts.get(first.json.alertId)
  assert.deepStrictEqual(
    [alert.title, alert.severity, alert.canonicalSeverity, alert.groupKey, alert.dedupKey, alert.metadata.commit],
    ['Deploy failed: api-gateway', 'sev1', 'error', 'deploy:api-gateway', 'deploy:api-gateway', 'a1b2c3'],
  )
})

test('reopened after resolve, with the count going on', async () => {
  const body = { ...DEPLOY, group_key: 'deploy:billing' }
  const created = await trigger('deploy-failures', body)
  const { alertId } = created.json
  assert.equal((await trigger('deploy-failures', body)).json.occurrenceCount, 2)
  const resolved = await resolveAlert(alertId)
  assert.deepStrictEqual([resolved.status, resolved.json.status], [200, 'resolved'])
  const reopened = await trigger('deploy-failures', body)
  assert.deepStrictEqual(reopened.json, { alertId, status: 'reopened', message: 'Alert reopened', occurrenceCount: 3 })
  assert.equal((await trigger('deploy-failures', body)).json.status, 'occurrence_added')
  // Resolving needs the team's signature too.
  assert.equal((await resolveAlert(alertId, 'wrong')).status, 401)
  assert.equal((await resolveAlert('0'.repeat(24))).status, 404)
})

test('keys fold per webhook; without group_key every trigger is a new alert', async () => {
  const a = await trigger('deploy-failures', { ...DEPLOY, group_key: 'shared' })
  const b = await trigger('db-alerts', { ...DEPLOY, group_key: 'shared' })
  assert.deepStrictEqual([a.json.status, b.json.status], ['created', 'created'])
  assert.notEqual(a.json.alertId, b.json.alertId)
  const { group_key: _, ...noKey } = DEPLOY
  const c = await trigger('deploy-failures', noKey)
  const d = await trigger('deploy-failures', noKey)
  assert.deepStrictEqual([c.json.status, d.json.status], ['created', 'created'])
  assert.notEqual(c.json.alertId, d.json.alertId)
})

test('the webhook default severity applies when the body has none', async () => {
  const { severity: _, ...body } = { ...DEPLOY, group_key: 'sev-default' }
  const r = await trigger('db-alerts', body)
  const alert = server.app.alerts.get(r.json.alertId)
  assert.deepStrictEqual([alert.severity, alert.canonicalSeverity], ['sev1', 'error'])
  const s0 = await trigger('db-alerts', { ...body, group_key: 'sev0', severity: 'sev0' })
  assert.equal(server.app.alerts.get(s0.json.alertId).canonicalSeverity, 'critical')
})

test('filter rules suppress with a reason', async () => {
  const branch = await trigger('deploy-failures', { ...DEPLOY, metadata: { branch: 'feature/x' } })
  assert.deepStrictEqual([branch.status, branch.json], [
    200,
    { status: 'filtered', message: 'Alert suppressed by filter rule', reason: 'metadata.branch != main' },
  ])
  const staging = await trigger('db-alerts', { title: 'Replica lag', metadata: { environment: 'staging' } })
  assert.equal(staging.json.reason, 'metadata.environment == staging')
  // Not matching, or the field absent: the alert goes through.
  assert.equal((await trigger('deploy-failures', { title: 'No metadata' })).json.status, 'created')
  assert.equal((await trigger('db-alerts', { title: 'Prod lag', metadata: { environment: 'production' } })).json.status, 'created')
})

test('401 for a missing, wrong or re-serialised signature; rotation accepted', async () => {
  const missing = await trigger('deploy-failures', DEPLOY, { signature: null })
  assert.deepStrictEqual([missing.status, missing.json.error], [401, 'missing_credentials'])
  const wrong = await trigger('deploy-failures', DEPLOY, { secret: 'not-the-secret' })
  assert.deepStrictEqual([wrong.status, wrong.json.error], [401, 'signature_mismatch'])
  const garbage = await trigger('deploy-failures', DEPLOY, { signature: 'zz' })
  assert.deepStrictEqual([garbage.status, garbage.json.error], [401, 'malformed_signature'])
  // Signed over other bytes (pretty-printed): the raw body is what counts.
  const raw = JSON.stringify(DEPLOY, null, 2)
  const reserialised = await trigger('deploy-failures', raw, { signature: hmac(SECRET, JSON.stringify(DEPLOY)) })
  assert.equal(reserialised.status, 401)
  assert.equal((await trigger('deploy-failures', raw)).status, 200)
  // A team with two secrets accepts either.
  assert.equal((await trigger('rotated', { title: 'x' }, { secret: 'old-secret' })).status, 200)
  assert.equal((await trigger('rotated', { title: 'y' }, { secret: 'new-secret' })).status, 200)
})

test('404 for an unknown or disabled webhook, 403 for an expired team', async () => {
  for (const url of ['nope', 'old-cron']) {
    const r = await trigger(url, DEPLOY)
    assert.deepStrictEqual([r.status, r.json.error], [404, 'not_found'])
  }
  const lapsed = await trigger('legacy', { title: 'x' }, { secret: 'lapsed-secret' })
  assert.deepStrictEqual([lapsed.status, lapsed.json.error], [403, 'subscription_expired'])
  // The signature is checked first: an unsigned request learns nothing about the team.
  assert.equal((await trigger('legacy', { title: 'x' }, { signature: null })).status, 401)
  const res = await fetch(`${base}/api/alerts/trigger/deploy-failures`)
  assert.equal(res.status, 405)
})

test('429 past the per-webhook rate limit, with Retry-After, until the window ends', async () => {
  for (let i = 0; i < 3; i++) assert.equal((await trigger('limited', { title: `t${i}` })).status, 200)
  const limited = await trigger('limited', { title: 't3' })
  assert.deepStrictEqual([limited.status, limited.json.error], [429, 'rate_limited'])
  assert.equal(limited.headers.get('retry-after'), '60')
  // Other webhooks have their own budget.
  assert.equal((await trigger('db-alerts', { title: 'other' })).status, 200)
  clock.t += 61_000
  assert.equal((await trigger('limited', { title: 't4' })).status, 200)
})

const TOO_DEEP = (levels) => {
  let m = { leaf: true }
  for (let i = 1; i < levels; i++) m = { m }
  return m
}

for (const [label, body, field, options] of [
  ['missing title', { description: 'x' }, 'title'],
  ['empty title', { title: '  ' }, 'title'],
  ['title over 200 characters', { title: 'é'.repeat(201) }, 'title'],
  ['description over 2000 characters', { title: 't', description: 'x'.repeat(2001) }, 'description'],
  ['description not a string', { title: 't', description: 5 }, 'description'],
  ['unknown severity', { title: 't', severity: 'sev5' }, 'severity'],
  ['severity as a canonical word', { title: 't', severity: 'critical' }, 'severity'],
  ['metadata not an object', { title: 't', metadata: [1, 2] }, 'metadata'],
  ['metadata over 100 KB', { title: 't', metadata: { blob: 'x'.repeat(100 * 1024) } }, 'metadata'],
  ['metadata over 10 levels', { title: 't', metadata: TOO_DEEP(11) }, 'metadata'],
  ['group_key over 200 characters', { title: 't', group_key: 'k'.repeat(201) }, 'group_key'],
  ['group_key not a string', { title: 't', group_key: 7 }, 'group_key'],
  ['invalid JSON', '{"title": "t",', undefined],
  ['a JSON array', '[{"title": "t"}]', undefined],
  ['not JSON content', { title: 't' }, undefined, { contentType: 'text/plain' }],
]) {
  test(`400: ${label}`, async () => {
    const r = await trigger('db-alerts', body, options)
    assert.equal(r.status, 400, JSON.stringify(r.json))
    if (field) {
      assert.equal(r.json.field, field, JSON.stringify(r.json))
      assert.match(r.json.message, new RegExp(field))
    }
    assert.ok(r.json.error && r.json.message)
  })
}

test('the limits themselves are accepted', async () => {
  const r = await trigger('db-alerts', {
    title: 'é'.repeat(200),
    description: 'x'.repeat(2000),
    metadata: { ...TOO_DEEP(10), blob: 'x'.repeat(100 * 1024 - 200) },
    group_key: 'k'.repeat(200),
    severity: 'sev4',
  })
  assert.equal(r.status, 200, JSON.stringify(r.json))
  assert.equal(r.json.status, 'created')
})

test('the README example: curl-style body signed with openssl', { skip: !hasOpenssl() }, async () => {
  const body =
    '{"title":"Deploy failed: api-gateway","description":"Migration step exited with code 137","severity":"sev1","metadata":{"commit":"a1b2c3","environment":"production","branch":"main"},"group_key":"deploy:readme"}'
  const out = execFileSync('sh', ['-c', `printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$OPSHIFT_SECRET" -hex | awk '{print $2}'`], {
    env: { ...process.env, BODY: body, OPSHIFT_SECRET: SECRET },
  })
  const sig = out.toString().trim()
  assert.equal(sig, hmac(SECRET, body))
  const r = await trigger('deploy-failures', body, { signature: sig })
  assert.deepStrictEqual([r.status, r.json.status], [200, 'created'])
})

test('the shipped config.json loads', () => {
  const path = fileURLToPath(new URL('../config.json', import.meta.url))
  const { teams, webhooks } = loadConfig(JSON.parse(readFileSync(path, 'utf8')))
  assert.ok(teams.size >= 2 && webhooks.size >= 3)
  assert.deepStrictEqual(webhooks.get('deploy-failures').filters.map((f) => f.reason), ['metadata.branch != main'])
})

test('config errors are reported at load time', () => {
  assert.throws(() => loadConfig({ teams: { t: {} } }), /secret/)
  assert.throws(() => loadConfig({ teams: { t: { secret: 's' } }, webhooks: { w: { team: 'x' } } }), /unknown team/)
  assert.throws(() => loadConfig({ teams: { t: { secret: 's' } }, webhooks: { w: { team: 't', filters: ['branch ~ x'] } } }), /filter rule/)
  assert.throws(() => loadConfig({ teams: { t: { secret: 's' } }, webhooks: { w: { team: 't', defaultSeverity: 'p1' } } }), /sev0/)
})

function hasOpenssl() {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
