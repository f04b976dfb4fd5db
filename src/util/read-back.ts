/**
 * How long a writer waits before reading back what it wrote to a shared tag (`.sig`, `.att`, the
 * referrers fallback index), on registries without compare-and-swap: another writer that read
 * before our write finishes within about one read-to-write, so we wait that out with margin.
 *
 * The estimate is our own read-to-write just now: it carries the machine's and the registry's
 * current load, which slows other writers alike. (A faster estimate — the quickest window seen —
 * lost entries under CPU contention, when others' windows grew long after it was taken.)
 */
export function readBackDelay(windowMs: number, attempt: number): number {
  const base = Math.max(20, 2 * windowMs) * attempt
  return Math.min(base + (Math.random() * base) / 2, 5000)
}
