/** Type tests and user-facing descriptions of the values @iarna/toml produces. */

export type Table = Record<string, unknown>

/** A TOML table (standard, array element or inline). Dates are objects too, but not tables. */
export function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
}

/**
 * "a string ("yes")", "an integer (3)", "a table" — for "is X; expected Y" messages. @iarna/toml
 * gives plain numbers for integers and floats alike (1.0 reads as 1), and bigint for integers
 * beyond 2^53.
 */
export function describe(value: unknown): string {
  if (typeof value === 'string') return `a string (${JSON.stringify(value)})`
  if (typeof value === 'boolean') return `a boolean (${value})`
  if (typeof value === 'bigint') return `an integer (${value})`
  if (typeof value === 'number') return Number.isInteger(value) ? `an integer (${value})` : `a float (${value})`
  if (value instanceof Date) return 'a date-time'
  if (Array.isArray(value)) return 'an array'
  if (isTable(value)) return 'a table'
  return String(value)
}

/** A string shown as itself ("sbom"), anything else described: for "is X; allowed: …" messages. */
export function quoteOrDescribe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : describe(value)
}
