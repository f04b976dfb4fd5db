/**
 * The secrets this process holds — the OIDC identity token, key passwords, registry passwords and
 * tokens, bearer tokens a token server handed out — so that text a server sends back (a Fulcio,
 * Rekor or TSA error reply, a registry's error body) can be quoted without them. A server that
 * echoes our request (Fulcio's body carries the identity token) must not make us print it.
 *
 * Secrets are remembered where they enter (rememberSecret) and removed where server text enters a
 * message (redact).
 *
 * Process-wide on purpose, unlike the rest of the project's per-run state: secrets enter in four
 * layers (keys, auth, registry tokens, keyless) and server text becomes messages in three others;
 * threading a redactor through every options object would touch every call for one concern. The
 * set holds only values the process already holds in memory, one process runs one command, and a
 * value remembered by an earlier run in the same process (tests) only makes redaction stricter.
 */
const REDACTED = '<redacted>'
/** Shorter values would match everywhere and are no secret a substring search can protect. */
const MIN_LENGTH = 4

const secrets = new Set<string>()
let ordered: string[] | undefined

/** Remembers a secret, with the encodings a server may echo it in (JSON string, URL form). */
export function rememberSecret(value: string | Buffer | undefined): void {
  if (value === undefined) return
  const text = typeof value === 'string' ? value : value.toString('utf8')
  if (text.length < MIN_LENGTH) return
  const forms = [text, JSON.stringify(text).slice(1, -1), encodeURIComponent(text), new URLSearchParams({v: text}).toString().slice(2)]
  // A JWT's signature part is what makes it usable; a server may quote it alone.
  const jwt = /^[\w-]+\.[\w-]+\.([\w-]{16,})$/.exec(text)
  if (jwt) forms.push(jwt[1]!)
  for (const form of forms) {
    if (form.length >= MIN_LENGTH && !secrets.has(form)) {
      secrets.add(form)
      ordered = undefined
    }
  }
}

/** A username/password pair: the password, and the base64 `user:password` of a Basic header. */
export function rememberBasicCredential(username: string, password: string): void {
  rememberSecret(password)
  rememberSecret(Buffer.from(`${username}:${password}`).toString('base64'))
}

/** The text with every remembered secret replaced by `<redacted>`. */
export function redact(text: string): string {
  if (secrets.size === 0) return text
  // Longest first, so a secret that contains another is replaced whole.
  ordered ??= [...secrets].sort((a, b) => b.length - a.length)
  let result = text
  for (const secret of ordered) if (result.includes(secret)) result = result.replaceAll(secret, REDACTED)
  return result
}
