/**
 * Whether progress is drawn as plain lines rather than redrawn in place: when stderr is not a
 * terminal, or CI is set. Its own module so that direct signing asks without loading listr2.
 */
export function plainOutput(): boolean {
  return Boolean(process.env.CI) || !process.stderr.isTTY
}
