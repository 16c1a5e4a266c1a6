/** Maps with at most `limit` tasks in flight; results keep input order whatever the completion order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** A counting semaphore: `run` waits for a free slot, FIFO. */
export class Semaphore {
  private available: number;
  private readonly waiters: (() => void)[] = [];
  constructor(slots: number) {
    if (!(slots >= 1)) throw new Error(`a semaphore needs at least one slot (got ${slots})`);
    this.available = slots;
  }
  async run<R>(fn: () => Promise<R>): Promise<R> {
    if (this.available > 0) this.available--;
    else await new Promise<void>((resolve) => this.waiters.push(resolve));
    try {
      return await fn();
    } finally {
      const wake = this.waiters.shift();
      if (wake) wake();
      else this.available++;
    }
  }
}
