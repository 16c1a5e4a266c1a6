import { mix32 } from "./tokens";

/** Signed counts per slot of one hashed feature block (sparse: most slots stay zero). */
export type Block = Map<number, number>;

/** Counts one hashed feature into a block of `size` slots (a power of two). */
export function addFeature(block: Block, hash: number, size: number): void {
  const h = mix32(hash);
  // Low bits pick the slot, the top bit the sign: colliding features then cancel on average
  // instead of piling up (the signed hashing trick).
  const slot = h & (size - 1);
  const sign = h >>> 31 ? -1 : 1;
  block.set(slot, (block.get(slot) ?? 0) + sign);
}

/** Writes a block's counts log-scaled (sign · log(1 + |count|)) and L2-normalized into `out[offset ..)`. */
export function writeBlock(block: Block, out: Float32Array, offset: number): void {
  writeCounts(block.entries(), out, offset);
}

/** `writeBlock` over (slot, count) entries; the norm is summed in their order, so the same order gives the same bits. */
export function writeCounts(entries: Iterable<[number, number]>, out: Float32Array, offset: number): void {
  let norm = 0;
  const scaled: [number, number][] = [];
  for (const [slot, count] of entries) {
    if (count === 0) continue;
    const v = Math.sign(count) * Math.log1p(Math.abs(count));
    scaled.push([slot, v]);
    norm += v * v;
  }
  if (norm === 0) return;
  const inv = 1 / Math.sqrt(norm);
  for (const [slot, v] of scaled) out[offset + slot] = v * inv;
}
