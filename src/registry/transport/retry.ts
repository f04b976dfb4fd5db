import {type HttpResponse, HttpTransportError} from '../../http/http.js'
import {Deadline, type Outcome, backoff, isExhausted, markExhausted, retry} from '../../util/retry.js'
import {type Send, header} from './exchange.js'

// Retry: one exchange tried again after a transient failure — a reset, a refused connection, no
// answer within the timeout, or HTTP 408/429/5xx — with exponential backoff and jitter, or the
// wait a Retry-After asks for (when it fits the budget). Only idempotent exchanges; others are
// tried once (a blob upload starts over as a whole, client.ts).
//
// The bound: at most `attempts` tries, and none begun once `budgetMs` (2 × the request timeout)
// has passed since the first, or once the enclosing operation's deadline has (util/retry.ts); a
// later try's timeout is cut to end by then. So a registry that accepts connections and never
// answers fails an exchange after 2 × --registry-timeout.

export interface RetryPolicy {
  /** Tries in all for an idempotent exchange. */
  attempts: number
  /** Time from the first try after which no new one starts. */
  budgetMs: number
}

/** How many request timeouts one exchange (a request and its retries) may take. */
export const BUDGET_TIMEOUTS = 2
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504])

export function retryLayer(policy: RetryPolicy, next: Send): Send {
  return async (exchange) => {
    const started = Date.now()
    let tries = 0
    try {
      return await retry(
        (attempt) => {
          tries = attempt.number
          return next({...exchange, attempt: attempt.number, timeoutMs: attempt.limit(exchange.timeoutMs)})
        },
        {
          attempts: exchange.idempotent ? policy.attempts : 1,
          deadline: Deadline.in(policy.budgetMs),
          retryError: isTransientTransportError,
          retryResult: (response) => RETRYABLE_STATUS.has(response.status),
          delay: (attempt, outcome) => retryAfter(outcome) ?? backoff(attempt),
        },
      )
    } catch (error) {
      if (tries > 1 && error instanceof HttpTransportError && error.kind === 'timeout') {
        // Said with the timeout the user set, not the cut one of the last try.
        const seconds = (ms: number) => `${Number((ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1))}s`
        const said = new HttpTransportError(
          `no answer from ${exchange.url.host} within ${seconds(exchange.timeoutMs)} (${tries} tries in ${seconds(Date.now() - started)})`,
          'timeout',
          error.errno,
        )
        if (isExhausted(error)) markExhausted(said)
        throw said
      }

      throw error
    }
  }
}

/** Worth another try: the connection failed or the registry did not answer in time. */
export function isTransientTransportError(error: unknown): boolean {
  return error instanceof HttpTransportError && (error.kind === 'connection' || error.kind === 'timeout')
}

/** A Retry-After (seconds or an HTTP date), in ms: waited for when it fits the budget; when it does not, the retries end. */
function retryAfter(outcome: Outcome<HttpResponse>): number | undefined {
  if (!('value' in outcome)) return undefined
  const value = header(outcome.value, 'retry-after')?.trim()
  if (!value) return undefined
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - Date.now()
  if (!Number.isFinite(ms)) return undefined
  return Math.max(0, ms)
}
