// WWW-Authenticate parsing (RFC 7235): `Bearer realm="…",service="…",scope="…"` or
// `Basic realm="…"`. Registries send one challenge; we take the first we understand.

export interface Challenge {
  scheme: 'basic' | 'bearer'
  params: Record<string, string>
}

export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header)
  if (!match) return undefined
  const scheme = match[1]!.toLowerCase()
  if (scheme !== 'basic' && scheme !== 'bearer') return undefined
  return {scheme, params: parseParams(match[2] ?? '')}
}

function parseParams(text: string): Record<string, string> {
  const params: Record<string, string> = {}
  const pattern = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?\s*/gy
  let match: RegExpExecArray | null
  while ((match = pattern.exec(text)) !== null && match[0].length > 0) {
    const value = match[2] === undefined ? (match[3] ?? '') : match[2].replace(/\\(.)/g, '$1')
    params[match[1]!.toLowerCase()] = value
  }

  return params
}
