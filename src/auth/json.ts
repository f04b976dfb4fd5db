/**
 * JSON.parse for files and variables that hold secrets. V8's own parse errors quote the text
 * around the fault, which would put a password into the message, so only the position is kept.
 */
export function parseSecretJson(text: string): {ok: true; value: unknown} | {ok: false; where: string} {
  try {
    return {ok: true, value: JSON.parse(text)}
  } catch (error) {
    const position = /position (\d+)/.exec(error instanceof Error ? error.message : '')
    if (!position) return {ok: false, where: ''}
    const before = text.slice(0, Number(position[1]))
    const line = before.split('\n').length
    const column = before.length - before.lastIndexOf('\n')
    return {ok: false, where: ` (line ${line}, column ${column})`}
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
