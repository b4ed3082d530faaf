// Every signature vector: Verifier/verify give "valid" or the expected code; where a
// case has "sign", sign() reproduces its headers. Plus sign-then-verify round trips.
import test from 'node:test'
import assert from 'node:assert/strict'
import { alertgate, signatureCases, thrown } from './support.mjs'

const CASES = signatureCases()
const OPTION_KEYS = {
  signature_header: 'signatureHeader',
  timestamp_header: 'timestampHeader',
  timestamp_unit: 'timestampUnit',
  id_header: 'idHeader',
  prefix: 'prefix',
  signed_content: 'signedContent',
}

/** The vector's snake_case options as the binding's camelCase options. */
function options(c, { tolerance = true } = {}) {
  const out = {}
  for (const [snake, camel] of Object.entries(OPTION_KEYS)) {
    if (snake in c.options) out[camel] = c.options[snake]
  }
  if (tolerance && 'tolerance' in c.options) out.tolerance = c.options.tolerance
  return out
}

const lower = (headers) =>
  Object.fromEntries((Array.isArray(headers) ? headers : Object.entries(headers)).map(([n, v]) => [n.toLowerCase(), v]))

test('there are signature vectors', () => {
  assert.ok(CASES.length >= 200, `only ${CASES.length} cases`)
})

for (const c of CASES) {
  test(`signature ${c.id}`, () => {
    // The class, with the headers as pairs…
    let got
    try {
      new alertgate.Verifier(c.scheme, c.secrets, options(c)).verify(c.headers, c.body, c.now)
      got = 'valid'
    } catch (e) {
      assert.equal(typeof e.code, 'string', String(e))
      got = e.code
      if (e.code !== 'invalid_config') assert.equal(e.httpStatus, 401)
    }
    assert.equal(got, c.expect)
    // …and the one-shot function, with the body as bytes.
    let oneShot
    try {
      alertgate.verify(c.scheme, c.secrets, c.headers, Buffer.from(c.body, 'utf8'), { ...options(c), now: c.now })
      oneShot = 'valid'
    } catch (e) {
      oneShot = e.code
    }
    assert.equal(oneShot, c.expect)

    if (c.sign) {
      const signed = alertgate.sign(c.scheme, c.secrets[0], c.body, {
        ...options(c, { tolerance: false }),
        timestamp: c.sign.timestamp,
        id: c.sign.id,
      })
      assert.deepStrictEqual(lower(signed), lower(c.headers))
    }
  })
}

test('sign then verify with the defaults (timestamp now, id derived)', () => {
  const body = '{"alerts": []}'
  for (const [scheme, secret] of [
    ['github', 's'],
    ['slack', 's'],
    ['stripe', 'whsec_x'],
    ['standard_webhooks', 'whsec_c2VjcmV0'],
    ['opshift', 'team-secret'],
  ]) {
    const headers = alertgate.sign(scheme, secret, body)
    new alertgate.Verifier(scheme, secret).verify(headers, body) // now: the clock
    new alertgate.Verifier(scheme, secret).verify(headers, Buffer.from(body))
    const e = thrown(() => alertgate.verify(scheme, secret, headers, body + ' '))
    assert.equal(e.httpStatus, 401)
    assert.equal(e.name, 'AuthError')
    assert.equal(e.code, 'signature_mismatch')
  }
  // Token schemes do not sign the body: the header carries the token itself.
  assert.deepStrictEqual(alertgate.sign('bearer', 'tok', 'x'), { Authorization: 'Bearer tok' })
  const e = thrown(() => alertgate.verify('bearer', 'other', { authorization: 'Bearer tok' }, 'x'))
  assert.equal(e.code, 'invalid_token')
})

test('the derived id is stable for the same body and timestamp, like the Python binding', () => {
  const a = alertgate.sign('standard_webhooks', 'whsec_c2VjcmV0', 'x', { timestamp: 1 })
  const b = alertgate.sign('standard_webhooks', 'whsec_c2VjcmV0', Buffer.from('x'), { timestamp: 1 })
  assert.deepStrictEqual(a, b)
  assert.match(a['webhook-id'], /^msg_[0-9a-f]{24}$/)
  assert.equal(a['webhook-timestamp'], '1')
})

test('the README example: GitHub signs "Hello, World!"', () => {
  assert.deepStrictEqual(alertgate.sign('github', "It's a Secret to Everybody", 'Hello, World!'), {
    'X-Hub-Signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
  })
})

test('secret rotation, header shapes and the scheme getter', () => {
  const body = Buffer.from('{"title":"x"}')
  const headers = alertgate.sign('opshift', 'old', body)
  const v = new alertgate.Verifier('opshift', ['new', 'old'])
  assert.equal(v.scheme, 'opshift')
  assert.equal(String(v), 'Verifier(opshift)')
  const [[name, value]] = Object.entries(headers)
  v.verify({ [name.toLowerCase()]: value }, body) // a node:http req.headers
  v.verify([[name.toUpperCase(), value]], body) // pairs
  v.verify(new Map([[name, value]]), body) // a Map
  v.verify(new Headers({ [name]: value }), body) // a fetch Headers
  v.verify({ [name]: [value] }, body) // a list of values
  assert.equal(new alertgate.Verifier('svix', 'whsec_c2VjcmV0').scheme, 'standard_webhooks')
})
