// Every signature vector: Verifier/verify give "valid" or the expected code (SNS cases
// with their certificate); where a case has "sign", sign() reproduces its headers. Plus
// sign-then-verify round trips, basic auth, the SNS URL helpers and the header-only methods.
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
  topic_arn: 'topicArn',
}
// Every scheme the core knows (Scheme::ALL): each must have vectors.
const SCHEMES = [
  'basic', 'bearer', 'github', 'grafana', 'hmac_sha256', 'opshift', 'opsknight', 'pagerduty',
  'sentry', 'shared_secret', 'slack', 'sns', 'standard_webhooks', 'stripe', 'svix',
]

/** The vector's snake_case options as the binding's camelCase options. */
function options(c, { tolerance = true, sign = false } = {}) {
  const out = {}
  for (const [snake, camel] of Object.entries(OPTION_KEYS)) {
    if (snake in c.options && !(sign && snake === 'topic_arn')) out[camel] = c.options[snake]
  }
  if (tolerance && 'tolerance' in c.options) out.tolerance = c.options.tolerance
  return out
}

const lower = (headers) =>
  Object.fromEntries((Array.isArray(headers) ? headers : Object.entries(headers)).map(([n, v]) => [n.toLowerCase(), v]))

test('there are signature vectors', () => {
  assert.ok(CASES.length >= 200, `only ${CASES.length} cases`)
  assert.deepStrictEqual([...new Set(CASES.map((c) => c.scheme))].sort(), SCHEMES)
})

for (const c of CASES) {
  test(`signature ${c.id}`, () => {
    // The class, with the headers as pairs…
    let got
    try {
      const v = new alertgate.Verifier(c.scheme, c.secrets, options(c))
      if ('certificate' in c) v.verifyWithCertificate(c.headers, c.body, c.certificate, c.now)
      else v.verify(c.headers, c.body, c.now)
      got = 'valid'
    } catch (e) {
      assert.equal(typeof e.code, 'string', String(e))
      got = e.code
      if (e.code !== 'invalid_config') assert.equal(e.httpStatus, 401)
    }
    assert.equal(got, c.expect)
    // …and the one-shot function, with the body (and certificate) as bytes.
    const certificate = 'certificate' in c ? Buffer.from(c.certificate, 'utf8') : undefined
    let oneShot
    try {
      alertgate.verify(c.scheme, c.secrets, c.headers, Buffer.from(c.body, 'utf8'), { ...options(c), now: c.now, certificate })
      oneShot = 'valid'
    } catch (e) {
      oneShot = e.code
    }
    assert.equal(oneShot, c.expect)

    if (c.sign) {
      const signed = alertgate.sign(c.scheme, c.secrets[0], c.body, {
        ...options(c, { tolerance: false, sign: true }),
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
  assert.equal(new alertgate.Verifier('svix', 'whsec_c2VjcmV0').scheme, 'svix')
})

test('basic auth: user:password pairs, rotated', () => {
  const v = new alertgate.Verifier('basic', ['grafana:new', 'alertmanager:c0rrect horse'])
  assert.deepStrictEqual(alertgate.sign('basic', 'alertmanager:c0rrect horse', ''), {
    Authorization: 'Basic YWxlcnRtYW5hZ2VyOmMwcnJlY3QgaG9yc2U=',
  })
  v.verify({ authorization: 'Basic YWxlcnRtYW5hZ2VyOmMwcnJlY3QgaG9yc2U=' }, 'x')
  v.checkHeaders({ authorization: 'Basic Z3JhZmFuYTpuZXc=' }) // grafana:new
  const e = thrown(() => v.verify({ authorization: 'Basic Z3JhZmFuYTpvbGQ=' }, 'x')) // grafana:old
  assert.equal(e.code, 'invalid_token')
  assert.equal(e.httpStatus, 401)
  assert.equal(thrown(() => v.verify({ authorization: 'Bearer alertmanager:c0rrect horse' }, 'x')).code, 'invalid_token')
  assert.equal(thrown(() => new alertgate.Verifier('basic', 'no-colon')).code, 'invalid_config')
  assert.equal(v.tolerance, null)
  assert.equal(v.deliveryId({}), null)
  assert.equal(v.signature({}), null)
})

const SNS_NOTE =
  '{"Type":"Notification","SigningCertURL":"https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem"}'

test('snsCertificateUrl gives SNS certificate URLs and refuses forged ones', () => {
  assert.equal(alertgate.snsCertificateUrl(SNS_NOTE), 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem')
  assert.equal(alertgate.snsCertificateUrl(Buffer.from(SNS_NOTE)), alertgate.snsCertificateUrl(SNS_NOTE))
  for (const forged of [
    'https://sns.us-east-1.amazonaws.com.evil.com/x.pem',
    'http://sns.us-east-1.amazonaws.com/x.pem',
    'https://sns.us-east-1.amazonaws.com/x.txt',
    'https://evil.com/sns.us-east-1.amazonaws.com/x.pem',
  ]) {
    const e = thrown(() => alertgate.snsCertificateUrl(JSON.stringify({ Type: 'Notification', SigningCertURL: forged })))
    assert.equal(e.code, 'malformed_signature', forged)
    assert.equal(e.httpStatus, 401)
  }
  assert.equal(thrown(() => alertgate.snsCertificateUrl(42)).code, 'invalid_argument')
})

test('snsSubscribeUrl gives the SubscribeURL of SNS only', () => {
  const confirm = CASES.find((x) => x.scheme === 'sns' && x.name === 'subscription_confirmation_v1').body
  assert.equal(alertgate.snsSubscribeUrl(confirm), JSON.parse(confirm).SubscribeURL)
  const e = thrown(() => alertgate.snsSubscribeUrl(confirm.replace('amazonaws.com/?', 'amazonaws.com.evil.com/?')))
  assert.equal(e.code, 'malformed_signature')
})

test('sns: the certificate passed in, the topic pinned', () => {
  const c = CASES.find((x) => x.scheme === 'sns' && x.name === 'pinned_topic')
  const v = new alertgate.Verifier('sns', [], { topicArn: c.options.topic_arn })
  v.verifyWithCertificate(Object.fromEntries(c.headers), Buffer.from(c.body), Buffer.from(c.certificate), c.now)
  assert.equal(thrown(() => v.verify(c.headers, c.body, c.now)).code, 'invalid_config') // the certificate is needed
  assert.equal(thrown(() => v.verifyWithCertificate(c.headers, c.body, 42, c.now)).code, 'invalid_argument')
  const other = new alertgate.Verifier('sns', [], { topicArn: 'arn:aws:sns:eu-west-1:123456789012:other' })
  assert.equal(thrown(() => other.checkHeaders(c.headers, c.now)).code, 'invalid_token')
  const e = thrown(() => new alertgate.Verifier('github', 'k').verifyWithCertificate({}, 'x', 'cert'))
  assert.equal(e.code, 'invalid_config')
})

test('checkHeaders, deliveryId, signature and tolerance', () => {
  const body = '{"alerts": []}'
  const v = new alertgate.Verifier('svix', 'whsec_c2VjcmV0')
  assert.equal(v.tolerance, 300)
  const headers = alertgate.sign('svix', 'whsec_c2VjcmV0', body, { timestamp: 1_700_000_000, id: 'msg_1' })
  assert.deepStrictEqual(Object.keys(headers).sort(), ['svix-id', 'svix-signature', 'svix-timestamp'])
  v.checkHeaders(headers, 1_700_000_000)
  assert.equal(v.deliveryId(headers), 'msg_1')
  assert.equal(v.signature(headers), headers['svix-signature'])
  assert.equal(thrown(() => v.checkHeaders(headers, 1_700_009_999)).code, 'timestamp_out_of_tolerance')
  assert.equal(new alertgate.Verifier('github', 'k', { tolerance: 5 }).tolerance, null) // signs no timestamp
  assert.equal(new alertgate.Verifier('github', 'k').deliveryId({ 'x-github-delivery': 'd-1' }), 'd-1')
})

test('v1a: a whsk_ key signs, its whpk_ half verifies', () => {
  const sk = 'whsk_7gZg/kI+/LRAX3i0Q3stuZ6jlKLNrq6jefhJK1Fabf8='
  const pk = 'whpk_j/Jvq230xw2p+391bA5Cm2+An/AKys3Bj/Pl49pMvBw='
  const headers = alertgate.sign('standard_webhooks', sk, 'x', { timestamp: 1_700_000_000, id: 'm' })
  assert.match(headers['webhook-signature'], /^v1a,/)
  new alertgate.Verifier('standard_webhooks', ['whsec_c2VjcmV0', pk]).verify(headers, 'x', 1_700_000_000)
  assert.equal(thrown(() => alertgate.verify('standard_webhooks', pk, headers, 'y', { now: 1_700_000_000 })).code, 'signature_mismatch')
})
