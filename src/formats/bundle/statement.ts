import {COSIGN_SIGN_PREDICATE_TYPE} from './media-types.js'

/**
 * The in-toto Statement v1 cosign 3 signs for an image (cmd/cosign/cli/sign `signDigestBundle`):
 * the digest and the `-a` annotations as the one subject, no name, an empty predicate. Key order
 * is protojson's (field numbers), annotations sorted so a re-run yields the same bytes.
 */
export function cosignSignStatement(digest: string, annotations: Record<string, string>): Buffer {
  const sorted = Object.fromEntries(Object.entries(annotations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  const [algorithm, hex] = digest.split(':') as [string, string]
  return Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{digest: {[algorithm]: hex}, annotations: sorted}],
      predicateType: COSIGN_SIGN_PREDICATE_TYPE,
      predicate: {},
    }),
  )
}

/** What verification reads back from a bundle's payload (v0.1 and v1 share these fields). */
export interface InTotoStatement {
  _type: string
  subject: {name?: string; digest: Record<string, string>; annotations?: Record<string, unknown>}[]
  predicateType: string
  predicate?: unknown
}

const STATEMENT_TYPES = new Set(['https://in-toto.io/Statement/v0.1', 'https://in-toto.io/Statement/v1'])

export function parseStatement(payload: Buffer): InTotoStatement | undefined {
  try {
    const statement = JSON.parse(payload.toString('utf8')) as InTotoStatement
    if (!STATEMENT_TYPES.has(statement?._type) || typeof statement.predicateType !== 'string' || !Array.isArray(statement.subject)) return undefined
    return statement
  } catch {
    return undefined
  }
}
