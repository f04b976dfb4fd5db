import {createHash} from 'node:crypto'

// JSON compared by meaning, not bytes: one document written by two tools (Go's encoding/json
// sorts keys and escapes <, >, &; we keep the document's own order) has one canonical form.

/** sha256 of the value serialised with object keys sorted and no whitespace. */
export function canonicalDigest(value: unknown): string {
  const hash = createHash('sha256')
  write(value, (text) => hash.update(text))
  return hash.digest('hex')
}

function write(value: unknown, out: (text: string) => void): void {
  if (Array.isArray(value)) {
    out('[')
    value.forEach((item, i) => {
      if (i > 0) out(',')
      write(item, out)
    })
    out(']')
  } else if (typeof value === 'object' && value !== null) {
    out('{')
    Object.keys(value)
      .sort()
      .forEach((key, i) => {
        if (i > 0) out(',')
        out(JSON.stringify(key))
        out(':')
        write((value as Record<string, unknown>)[key], out)
      })
    out('}')
  } else {
    out(JSON.stringify(value) ?? 'null')
  }
}
