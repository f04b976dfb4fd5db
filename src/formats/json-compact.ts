/**
 * Go's json.Compact: drops insignificant whitespace and keeps everything else byte for byte (key
 * order, number spelling, escapes), so an SBOM embedded as a predicate is the document itself.
 * The input must already be valid JSON.
 */
export function compactJson(text: string): string {
  let out = ''
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!
    if (inString) {
      out += char
      if (char === '\\') {
        out += text[++i] ?? ''
      } else if (char === '"') {
        inString = false
      }
    } else if (char === '"') {
      inString = true
      out += char
    } else if (char !== ' ' && char !== '\n' && char !== '\r' && char !== '\t') {
      out += char
    }
  }

  return out
}
