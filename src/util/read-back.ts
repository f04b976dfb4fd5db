/**
 * How long a writer waits before reading back what it wrote to a shared tag (`.sig`, `.att`, the
 * referrers fallback index), on registries without compare-and-swap: another writer that read
 * before our write finishes within about one read-to-write, so we wait that out with margin.
 *
 * The fastest read-to-write seen in this process estimates that window: it grows with the
 * machine's and the registry's load (what slows other writers too), but not with our own
 * queueing when many images are signed at once, which would only make every signer wait longer.
 */
let fastestWindowMs = Number.POSITIVE_INFINITY

export function readBackDelay(windowMs: number, attempt: number): number {
  fastestWindowMs = Math.min(fastestWindowMs, windowMs)
  const base = Math.max(20, 2 * fastestWindowMs) * attempt
  return Math.min(base + (Math.random() * base) / 2, 5000)
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
