// The OpShift trigger API on node:http, with alertgate doing the parsing and the
// signature check: POST /api/alerts/trigger/{webhookUrl} with X-Webhook-Signature
// (hex HMAC-SHA256 of the raw body, team secret), validation, 404/403/429, filter
// rules and folding (created / occurrence_added / reopened / filtered).
//
//   node server.mjs [config.json]      PORT (default 3000), HOST (default 127.0.0.1)
//
// Webhooks, teams and filter rules come from the JSON config file (see README.md).

import { createServer } from 'node:http'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ingest, Verifier } from 'alertgate'

/** OpShift's documented limits. */
export const LIMITS = {
  title: 200,
  description: 2000,
  groupKey: 200,
  metadataBytes: 100 * 1024,
  metadataDepth: 10,
  // The whole request (alertgate's own default limit): 413 beyond it.
  bodyBytes: 1 << 20,
}
const SEVERITIES = ['sev0', 'sev1', 'sev2', 'sev3', 'sev4']
const FILTER = /^\s*([A-Za-z_][\w]*(?:\.[\w-]+)*)\s*(==|!=)\s*(.*?)\s*$/

class HttpError extends Error {
  constructor(status, error, message, extra = {}) {
    super(message)
    Object.assign(this, { status, error, extra })
  }
}

const invalid = (field, message) => new HttpError(400, 'validation_error', message, field ? { field } : {})

/** Parses "metadata.branch != main" into a rule; the text itself is the `reason`. */
export function parseFilter(text) {
  const m = FILTER.exec(String(text))
  if (!m) throw new Error(`filter rule ${JSON.stringify(text)} is not "<field> == <value>" or "<field> != <value>"`)
  return { path: m[1].split('.'), op: m[2], value: m[3], reason: String(text).trim() }
}

/** Validates the config file's contents and prepares verifiers, rules and mappings. */
export function loadConfig(config, env = process.env) {
  const defaults = config.rateLimit ?? { max: 60, windowSeconds: 60 }
  const teams = new Map()
  for (const [id, t] of Object.entries(config.teams ?? {})) {
    const secrets = t.secretEnv ? [env[t.secretEnv]] : [t.secrets ?? t.secret].flat()
    if (!secrets.length || secrets.some((s) => typeof s !== 'string' || !s)) {
      throw new Error(`team ${id}: a secret (secret, secrets or secretEnv) is required`)
    }
    const expires = t.subscriptionExpiresAt ? Date.parse(t.subscriptionExpiresAt) : Infinity
    if (Number.isNaN(expires)) throw new Error(`team ${id}: subscriptionExpiresAt is not a date`)
    // alertgate's `opshift` scheme: X-Webhook-Signature, bare hex HMAC-SHA256 of the body.
    teams.set(id, { id, name: t.name ?? id, expires, verifier: new Verifier('opshift', secrets) })
  }
  const webhooks = new Map()
  for (const [url, w] of Object.entries(config.webhooks ?? {})) {
    const team = teams.get(w.team)
    if (!team) throw new Error(`webhook ${url}: unknown team ${JSON.stringify(w.team)}`)
    const defaultSeverity = w.defaultSeverity ?? 'sev2'
    if (!SEVERITIES.includes(defaultSeverity)) throw new Error(`webhook ${url}: defaultSeverity must be sev0–sev4`)
    webhooks.set(url, {
      url,
      team,
      enabled: w.enabled !== false,
      defaultSeverity,
      filters: (w.filters ?? []).map(parseFilter),
      rateLimit: { ...defaults, ...w.rateLimit },
      // How alertgate reads an OpShift body. `metadata` is left to our own checks
      // (it may be 100 KB, beyond alertgate's 4096-character label values).
      mapping: JSON.stringify({
        name: 'opshift',
        title: '/title',
        description: '/description',
        severity: { from: '/severity', default: defaultSeverity },
        dedup: '/group_key',
      }),
    })
  }
  return { teams, webhooks }
}

/** Nesting depth of a JSON value: a scalar is 0, `{}` is 1, `{"a": {}}` is 2. */
function depth(value, limit) {
  if (value === null || typeof value !== 'object') return 0
  let max = 0
  for (const v of Object.values(value)) {
    max = Math.max(max, depth(v, limit))
    if (max >= limit) break // deep enough to reject: stop walking
  }
  return 1 + max
}

function lookup(body, path) {
  let v = body
  for (const key of path) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, key)) return undefined
    v = v[key]
  }
  return v
}

/** The first rule that matches; a rule on an absent field never matches. */
function filtered(rules, body) {
  for (const rule of rules) {
    const v = lookup(body, rule.path)
    if (v === undefined || (v !== null && typeof v === 'object')) continue
    const equal = String(v) === rule.value
    if (rule.op === '==' ? equal : !equal) return rule.reason
  }
  return null
}

/** The OpShift body checks alertgate does not make (it already checked JSON, title and description lengths). */
function validate(body) {
  if (typeof body.title !== 'string' || !body.title.trim()) throw invalid('title', 'title is required')
  if (body.description !== undefined && typeof body.description !== 'string') {
    throw invalid('description', 'description must be a string')
  }
  if (body.severity !== undefined && !SEVERITIES.includes(body.severity)) {
    throw invalid('severity', 'severity must be one of sev0, sev1, sev2, sev3, sev4')
  }
  if (body.metadata !== undefined) {
    const m = body.metadata
    if (m === null || typeof m !== 'object' || Array.isArray(m)) throw invalid('metadata', 'metadata must be an object')
    if (Buffer.byteLength(JSON.stringify(m)) > LIMITS.metadataBytes) {
      throw invalid('metadata', 'metadata exceeds 100 KB')
    }
    if (depth(m, LIMITS.metadataDepth + 1) > LIMITS.metadataDepth) {
      throw invalid('metadata', 'metadata exceeds 10 nesting levels')
    }
  }
  if (body.group_key !== undefined) {
    if (typeof body.group_key !== 'string' || !body.group_key) throw invalid('group_key', 'group_key must be a non-empty string')
    if ([...body.group_key].length > LIMITS.groupKey) throw invalid('group_key', 'group_key is longer than 200 characters')
  }
}

/** alertgate's error → the OpShift answer; `field_too_long` names the field. */
function fromAlertgate(e) {
  if (e.code === 'field_too_long') {
    const m = /^alerts\[0\]\.(\w+) is longer than (\d+) characters/.exec(e.message)
    const field = m ? m[1] : null
    return invalid(field, m ? `${field} is longer than ${m[2]} characters` : e.message)
  }
  if (typeof e.httpStatus === 'number' && e.httpStatus < 500) {
    return new HttpError(e.httpStatus, e.code, e.message)
  }
  return e
}

function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = []
    let size = 0
    req.on('data', (c) => {
      size += c.length
      if (size > limit) {
        reject(new HttpError(413, 'payload_too_large', `the body is larger than ${limit} bytes`))
        req.destroy()
      } else chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

/**
 * The trigger API as a request handler. `now()` (ms) is injectable for tests;
 * alerts live in memory (a real deployment would keep them in its database).
 */
export function createApp(config, { now = Date.now } = {}) {
  const { webhooks } = config
  const alerts = new Map() // alertId → alert
  const open = new Map() // `${webhookUrl}\0${groupKey}` → alertId (open or resolved)
  const windows = new Map() // webhookUrl → { start, count }

  function rateLimit(webhook) {
    const { max, windowSeconds } = webhook.rateLimit
    const t = now()
    let w = windows.get(webhook.url)
    if (!w || t - w.start >= windowSeconds * 1000) windows.set(webhook.url, (w = { start: t, count: 0 }))
    if (w.count >= max) {
      const retryAfter = Math.max(1, Math.ceil((w.start + windowSeconds * 1000 - t) / 1000))
      throw new HttpError(429, 'rate_limited', `rate limit of ${max} alerts per ${windowSeconds} s exceeded`, { retryAfter })
    }
    w.count++
  }

  async function trigger(req, url) {
    const webhook = webhooks.get(url)
    if (!webhook || !webhook.enabled) throw new HttpError(404, 'not_found', 'unknown or disabled webhook')
    const raw = await readBody(req, LIMITS.bodyBytes)
    try {
      // The exact bytes received, before any parsing. Missing or wrong: 401.
      webhook.team.verifier.verify(req.headers, raw)
    } catch (e) {
      throw new HttpError(401, e.code ?? 'unauthorized', e.message)
    }
    if (webhook.team.expires <= now()) throw new HttpError(403, 'subscription_expired', 'team subscription expired')
    rateLimit(webhook)
    const contentType = req.headers['content-type'] ?? ''
    if (!/^application\/json\b/i.test(contentType)) {
      throw new HttpError(400, 'validation_error', 'Content-Type must be application/json')
    }
    let result
    try {
      // alertgate checks the JSON (syntax, UTF-8, nesting), reads title, description and
      // severity (sev0–sev4 → critical…info), and with strict limits rejects a title over
      // 200 or a description over 2000 characters instead of cutting them.
      result = ingest(raw, { contentType: 'application/json', strict: true, mapping: webhook.mapping })
    } catch (e) {
      throw fromAlertgate(e)
    }
    const body = JSON.parse(raw.toString('utf8')) // valid: alertgate parsed it
    validate(body)
    const reason = filtered(webhook.filters, body)
    if (reason) return { status: 'filtered', message: 'Alert suppressed by filter rule', reason }
    return fold(webhook, body, result.alerts[0])
  }

  function fold(webhook, body, canonical) {
    const t = new Date(now()).toISOString()
    const key = body.group_key === undefined ? null : `${webhook.url}\0${body.group_key}`
    const existing = key && alerts.get(open.get(key))
    if (existing) {
      existing.occurrenceCount++
      existing.lastOccurrenceAt = t
      if (existing.status === 'resolved') {
        Object.assign(existing, { status: 'open', resolvedAt: null })
        return reply(existing, 'reopened', 'Alert reopened')
      }
      return reply(existing, 'occurrence_added', 'Occurrence added to open alert')
    }
    const alert = {
      alertId: randomBytes(12).toString('hex'),
      webhook: webhook.url,
      team: webhook.team.id,
      title: canonical.title,
      description: canonical.description,
      severity: body.severity ?? webhook.defaultSeverity,
      canonicalSeverity: canonical.severity,
      groupKey: body.group_key ?? null,
      dedupKey: canonical.dedup_key,
      metadata: body.metadata ?? {},
      status: 'open',
      occurrenceCount: 1,
      createdAt: t,
      lastOccurrenceAt: t,
      resolvedAt: null,
    }
    alerts.set(alert.alertId, alert)
    if (key) open.set(key, alert.alertId)
    return reply(alert, 'created', 'Alert created')
  }

  const reply = (a, status, message) => ({ alertId: a.alertId, status, message, occurrenceCount: a.occurrenceCount })

  /** Resolves an alert; signed with the owning team's secret like a trigger (the body may be empty). */
  async function resolve(req, alertId) {
    const alert = alerts.get(alertId)
    if (!alert) throw new HttpError(404, 'not_found', 'unknown alert')
    const raw = await readBody(req, LIMITS.bodyBytes)
    const webhook = webhooks.get(alert.webhook)
    try {
      webhook.team.verifier.verify(req.headers, raw)
    } catch (e) {
      throw new HttpError(401, e.code ?? 'unauthorized', e.message)
    }
    Object.assign(alert, { status: 'resolved', resolvedAt: new Date(now()).toISOString() })
    return { alertId, status: 'resolved', message: 'Alert resolved', occurrenceCount: alert.occurrenceCount }
  }

  async function handle(req, res) {
    const send = (status, payload, headers = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(payload))
    }
    try {
      const { pathname } = new URL(req.url, 'http://localhost')
      let m
      if ((m = /^\/api\/alerts\/trigger\/([^/]+)$/.exec(pathname))) {
        if (req.method !== 'POST') return send(405, { error: 'method_not_allowed' }, { allow: 'POST' })
        return send(200, await trigger(req, decodeURIComponent(m[1])))
      }
      if ((m = /^\/api\/alerts\/([0-9a-f]{24})\/resolve$/.exec(pathname))) {
        if (req.method !== 'POST') return send(405, { error: 'method_not_allowed' }, { allow: 'POST' })
        return send(200, await resolve(req, m[1]))
      }
      if (pathname === '/health') return send(200, { status: 'ok' })
      return send(404, { error: 'not_found', message: 'no such route' })
    } catch (e) {
      if (!(e instanceof HttpError)) {
        console.error(e)
        return send(500, { error: 'internal_error', message: 'internal error' })
      }
      const headers = e.extra.retryAfter ? { 'retry-after': String(e.extra.retryAfter) } : {}
      return send(e.status, { error: e.error, message: e.message, ...e.extra }, headers)
    }
  }

  return { handle, alerts }
}

/** An http.Server for `config` (the parsed config file). */
export function createOpShiftServer(rawConfig, options) {
  const app = createApp(loadConfig(rawConfig, options?.env), options)
  const server = createServer(app.handle)
  server.app = app
  return server
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = process.argv[2] ?? process.env.OPSHIFT_CONFIG ?? fileURLToPath(new URL('config.json', import.meta.url))
  const server = createOpShiftServer(JSON.parse(readFileSync(path, 'utf8')))
  const port = Number(process.env.PORT ?? 3000)
  const host = process.env.HOST ?? '127.0.0.1'
  server.listen(port, host, () => console.log(`OpShift trigger API on http://${host}:${server.address().port}`))
}
