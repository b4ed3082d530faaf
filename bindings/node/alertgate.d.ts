// Types of the package entry (alertgate.js): everything the generated index.d.ts
// declares, plus `ingest`.
import type { Ingest, IngestOptions } from './index'

export * from './index'

/**
 * Reads one webhook request into the canonical alert.
 *
 * The result is exactly the canonical JSON shared by every binding (snake_case
 * keys, `null` for absent values) as plain objects: it can be stored, sent as
 * JSON or passed back to {@link synthesize} and {@link templateBrief}. It equals
 * `JSON.parse(ingestJson(body, options))`, key order included (it is built
 * without the JSON, from a compact text; see the README).
 *
 * Throws an `Error` with `code` (`empty_body`, `invalid_json`,
 * `payload_mismatch`, `invalid_mapping` …) and `httpStatus` when the request is
 * rejected; a wrong argument type is a `TypeError` with code `invalid_argument`.
 *
 * @example
 * const result = ingest(rawBody, { headers: req.headers })
 * for (const alert of result.alerts) console.log(alert.severity, alert.title)
 */
export declare function ingest(body: Buffer | Uint8Array | string, options?: IngestOptions | null): Ingest
