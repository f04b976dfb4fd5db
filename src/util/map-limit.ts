/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await fn(items[index]!, index)
    }
  }

  await Promise.all(Array.from({length: Math.max(1, Math.min(limit, items.length))}, worker))
  return results
}

/** Like Promise.allSettled over mapLimit: every item runs, failures are collected, not thrown. */
export async function settleLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<({ok: true; value: R} | {ok: false; error: unknown})[]> {
  return mapLimit(items, limit, async (item, index) => {
    try {
      return {ok: true as const, value: await fn(item, index)}
    } catch (error) {
      return {ok: false as const, error}
    }
  })
}
