// Compiled with `tsc --noEmit --strict -p tests/types`: the generated index.d.ts
// describes the API well enough for typical use, and rejects obvious misuse.
import { createServer, type IncomingMessage } from 'node:http'
import {
  ingest,
  ingestJson,
  sign,
  snsCertificateUrl,
  snsSubscribeUrl,
  synthesize,
  synthesizeSync,
  templateBrief,
  verify,
  SynthConfig,
  Verifier,
  VERSION,
  type Alert,
  type Brief,
  type HeaderInput,
  type Ingest,
  type IngestOptions,
  type Severity,
} from 'alertgate'

const verifier: Verifier = new Verifier('github', ['new-secret', 'old-secret'], { tolerance: 300 })

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject)
  })
}

interface AlertgateError extends Error {
  code: string
  httpStatus: number
}

createServer(async (req, res) => {
  const body = await readBody(req)
  try {
    verifier.verify(req.headers, body)
    const options: IngestOptions = { headers: req.headers, contentType: req.headers['content-type'] ?? null, maxTier: 3 }
    const result: Ingest = ingest(body, options)
    const first: Alert | undefined = result.alerts[0]
    const severity: Severity | undefined = first?.severity
    const critical = result.alerts.filter((a) => a.severity === 'critical' && a.status !== 'resolved')
    const service: string | null = first?.service ?? null
    const explanationSteps: number = result.explanation?.detection.length ?? 0
    const brief: Brief = await synthesize(result, body, SynthConfig.fromEnv()).catch(() => ({
      text: templateBrief(result),
      synthesized_by: 'template' as const,
      model: null,
    }))
    res.writeHead(202, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ result, brief, severity, critical: critical.length, service, explanationSteps }))
  } catch (err) {
    const e = err as AlertgateError
    res.writeHead(e.httpStatus ?? 500).end(JSON.stringify({ error: e.code }))
  }
})

// Every accepted shape of the arguments.
const pairs: HeaderInput = [['User-Agent', 'Alertmanager/0.27.0']]
ingest('{"title":"x"}', { headers: pairs, source: 'alertmanager', strict: true, explain: true })
ingest(new Uint8Array(2), { headers: new Map([['a', 'b']]), mapping: { name: 'm', title: '/t' } })
ingest(Buffer.from('x'), { mapping: '{"name":"m","title":"/t"}', severityOverrides: { p0: 'critical' } })
ingest('x', null)
const text: string = ingestJson('x')
const headers: Record<string, string> = sign('slack', 's', 'body', { timestamp: 1_700_000_000 })
verify('slack', 's', headers, 'body', { now: 1_700_000_000 })
verify('hmac_sha256', ['a', 'b'], new Headers(headers), 'body', { signatureHeader: 'X-Sig', prefix: 'sha256=', timestampUnit: 'ms' })
const scheme: string = verifier.scheme
const tolerance: number | null = verifier.tolerance
const deliveryId: string | null = verifier.deliveryId(headers)
const signature: string | null = verifier.signature(new Map([['x-hub-signature-256', 'sha256=00']]))
verifier.checkHeaders(headers, 1_700_000_000)
verify('basic', 'user:password', { authorization: 'Basic dXNlcjpwYXNzd29yZA==' }, 'body')

// SNS: the URL checked, the certificate fetched by the caller, then verified.
async function sns(req: IncomingMessage, body: Buffer): Promise<void> {
  const certificate = Buffer.from(await (await fetch(snsCertificateUrl(body))).arrayBuffer())
  new Verifier('sns', [], { topicArn: 'arn:aws:sns:eu-west-1:123456789012:alerts' }).verifyWithCertificate(req.headers, body, certificate)
  verify('sns', [], req.headers, body, { certificate: certificate.toString('utf8'), now: 1_700_000_000 })
  const subscribe: string = snsSubscribeUrl(body.toString('utf8'))
  await fetch(subscribe)
}
const config = new SynthConfig({ provider: 'openai', baseUrl: 'http://127.0.0.1:11434', apiKey: 'k', timeout: 5 })
const fromEnv: SynthConfig = SynthConfig.fromEnv({ ALERTGATE_LLM_API_KEY: undefined })
const provider: 'anthropic' | 'openai' = config.provider
const hasKey: boolean = fromEnv.hasApiKey
const sync: Brief = synthesizeSync(text, 'x', config)
const briefText: string = templateBrief(JSON.parse(text) as Ingest)
const version: string = VERSION
export { scheme, tolerance, deliveryId, signature, sns, provider, hasKey, sync, briefText, version }

// Misuse the declarations reject.
// @ts-expect-error a number is not a body
ingest(42)
// @ts-expect-error options are camelCase
ingest('x', { max_tier: 2 })
// @ts-expect-error severities are the four canonical words
const bad: Severity = 'urgent'
// @ts-expect-error the result's keys are snake_case, like the JSON contract
ingest('x').alerts[0]?.dedupKey
// @ts-expect-error synthesize returns a Promise
const notAPromise: Brief = synthesize(ingest('x'), 'x')
// @ts-expect-error the API key cannot be read back
config.apiKey
// @ts-expect-error the certificate is not optional
verifier.verifyWithCertificate(pairs, 'x')
// @ts-expect-error options are camelCase
new Verifier('sns', [], { topic_arn: 'arn' })
export { bad, notAPromise }
