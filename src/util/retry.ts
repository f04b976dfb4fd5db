import {AsyncLocalStorage} from 'node:async_hooks'

import {sleep} from './sleep.js'

// The one retry helper: every loop that tries something again — a request after a reset or a
// 503, a blob upload after a failed step, a read-modify-write round after another writer moved a
// tag — goes through `retry`, so the loops share one backoff and one rule for time.
//
// The rule: an operation has a deadline, and no new try starts once it has passed (nor one whose
// backoff would cross it). Loops nest — a request inside an upload inside a tag write — and the
// deadline of the enclosing operation travels down with the async context, so an inner loop retries
// only within what is left of the outer one. A failure an inner loop already retried and gave up
// on is marked, and no enclosing loop tries it again: tries add up, they do not multiply.
//
// Two kinds of loop:
// - `retry` (the default): the try failed (reset, timeout, 5xx, 429, a blob race). From the second
//   try on, the work inside is "retrying": an inner try's timeout is cut (`Attempt.limit`) so it
//   ends by the deadline.
// - `rounds`: optimistic concurrency (read, merge, write, read back). A new round is not a failure,
//   so requests inside keep their full timeout; the deadline still ends the rounds.

export class Deadline {
  private constructor(
    /** Epoch milliseconds; Infinity for none. */
    readonly at: number,
  ) {}

  static readonly none = new Deadline(Number.POSITIVE_INFINITY)

  /** `ms` from now. */
  static in(ms: number): Deadline {
    return new Deadline(Date.now() + ms)
  }

  /** Milliseconds left (negative once passed; Infinity for none). */
  remaining(now = Date.now()): number {
    return this.at - now
  }

  get passed(): boolean {
    return this.remaining() <= 0
  }

  /** The earlier of the two. */
  min(other: Deadline | undefined): Deadline {
    return other && other.at < this.at ? other : this
  }

  /** The deadline of the operation we are inside (the innermost `retry`), if any. */
  static current(): Deadline | undefined {
    return context.getStore()?.deadline
  }
}

/** One try, as the work sees it. */
export interface Attempt {
  /** 1 for the first try. */
  readonly number: number
  /** The effective deadline: this loop's, or the enclosing operation's when earlier. */
  readonly deadline: Deadline
  /** This try, or one of an enclosing `retry` loop, is a second (or later) try. */
  readonly retrying: boolean
  /**
   * A timeout for a request made in this try: `ms` on a first pass; cut to what is left of the
   * deadline when retrying, so a retry ends by the deadline instead of starting a fresh wait.
   */
  limit(ms: number): number
}

export type Outcome<T> = {value: T} | {error: unknown}

export interface RetryOptions<T> {
  /** Tries in all, the first included. */
  attempts: number
  /** This operation's deadline; the enclosing operation's applies too when earlier. */
  deadline?: Deadline
  /** See the module comment. Default `retry`. */
  kind?: 'retry' | 'rounds'
  /** A thrown error worth another try. An error an inner loop gave up on never is. */
  retryError?: (error: unknown) => boolean
  /** A result worth another try (a 503 answer, "the tag moved"); the last is returned when tries run out. */
  retryResult?: (value: T) => boolean
  /** Milliseconds before try `attempt + 1`; default `backoff(attempt)`. */
  delay?: (attempt: number, outcome: Outcome<T>) => number
  /** Waits between tries; default `sleep` (a writer passes pauseWork to lend its work slot). */
  pause?: (ms: number) => Promise<void>
  /** Aborted: no further try starts, and a wait between tries ends at once. */
  signal?: AbortSignal
  /** A try starts only when at least this much of the deadline is left after the wait; default 100 ms. */
  minTryMs?: number
  /** Told before each wait (debug logs, counters). */
  onRetry?: (attempt: number, delayMs: number, outcome: Outcome<T>) => void
}

interface Context {
  deadline: Deadline
  retrying: boolean
}

const context = new AsyncLocalStorage<Context>()
const exhausted = new WeakSet<object>()

/**
 * Runs `work` until it succeeds, fails in a way not worth retrying, runs out of tries, or the
 * deadline leaves no room for another try. A first try always runs, even past the deadline: an
 * operation is never refused for the time its predecessors took.
 */
export async function retry<T>(work: (attempt: Attempt) => Promise<T>, options: RetryOptions<T>): Promise<T> {
  const outer = context.getStore()
  const deadline = (options.deadline ?? Deadline.none).min(outer?.deadline)
  const attempts = Math.max(1, Math.floor(options.attempts))
  const minTryMs = options.minTryMs ?? 100
  for (let number = 1; ; number++) {
    const retrying = (outer?.retrying ?? false) || (number > 1 && options.kind !== 'rounds')
    const attempt: Attempt = {
      number,
      deadline,
      retrying,
      limit: (ms) => (retrying ? Math.max(1, Math.min(ms, deadline.remaining())) : ms),
    }
    let outcome: Outcome<T>
    try {
      const value = await context.run({deadline, retrying}, () => work(attempt))
      if (!options.retryResult?.(value)) return value
      outcome = {value}
    } catch (error) {
      if (isExhausted(error) || !options.retryError?.(error)) throw error
      outcome = {error}
    }

    const wait = Math.max(0, options.delay ? options.delay(number, outcome) : backoff(number))
    const another = number < attempts && deadline.remaining() - wait >= minTryMs && !options.signal?.aborted
    if (another) {
      options.onRetry?.(number, wait, outcome)
      await abortable(options.pause ?? sleep, wait, options.signal)
      if (!options.signal?.aborted) continue
    }

    // Given up on something that could have been retried: no enclosing loop retries it again.
    if (attempts > 1) markExhausted('error' in outcome ? outcome.error : outcome.value)
    if ('error' in outcome) throw outcome.error
    return outcome.value
  }
}

/** Exponential backoff with jitter: `base × 2^(attempt-1)`, plus up to as much again at random. */
export function backoff(attempt: number, baseMs = 100): number {
  const base = baseMs * 2 ** (attempt - 1)
  return base + Math.random() * base
}

/** Whether a loop already retried this failure (or answer) and gave up on it. */
export function isExhausted(failure: unknown): boolean {
  return typeof failure === 'object' && failure !== null && exhausted.has(failure)
}

/** Marks a failure as retried to exhaustion; also used to carry the mark from an answer to the error made of it. */
export function markExhausted(failure: unknown): void {
  if (typeof failure === 'object' && failure !== null) exhausted.add(failure)
}

/** `wrapped`, marked when `original` was: for an error rewrapped on its way up. */
export function keepExhaustion<T>(original: unknown, wrapped: T): T {
  if (isExhausted(original)) markExhausted(wrapped)
  return wrapped
}

async function abortable(pause: (ms: number) => Promise<void>, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return pause(ms)
  let onAbort: (() => void) | undefined
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve
    signal.addEventListener('abort', onAbort, {once: true})
  })
  try {
    await Promise.race([pause(ms), aborted])
  } finally {
    signal.removeEventListener('abort', onAbort!)
  }
}
