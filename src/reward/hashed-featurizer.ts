import type { Fields } from "../core/json";
import type { Featurizer, HashedFeaturizerConfig, RewardInput } from "./types";
import { OVERLAP_DIM, writeOverlapFeatures } from "./overlap";
import { charNgrams, fnv1a, valueText, words } from "./tokens";
import { addFeature, writeBlock, type Block } from "./signed-hashing";

export interface HashedFeaturizerOptions {
  /**
   * Slots per hashed block are 2^hashBits (default 11: 2048 per block, 4111 features in all).
   * Training cost grows linearly with it: the trunk's first layer is dense.
   */
  hashBits?: number;
}

/**
 * Offline, deterministic features: word unigrams, word bigrams and character 3-grams of the
 * description and every field, hashed with a sign bit into two blocks — context (description and
 * inputs) and outputs — then the dense overlap features. Layout of a row:
 * `[context block: 2^hashBits][output block: 2^hashBits][overlap features]`.
 * Each field's n-grams are namespaced by part and field name, so "answer: yes" and "question: yes"
 * land in different slots. Counts are log-scaled (sign · log(1 + |count|)) and each block is
 * L2-normalized, so long texts do not dominate short ones.
 */
export class HashedNgramFeaturizer implements Featurizer {
  readonly dim: number;
  readonly config: HashedFeaturizerConfig;
  private readonly blockSize: number;

  constructor(options: HashedFeaturizerOptions = {}) {
    const hashBits = options.hashBits ?? 11;
    if (!Number.isInteger(hashBits) || hashBits < 4 || hashBits > 20) {
      throw new Error(`hashed featurizer: hashBits must be an integer in 4..20 (got ${hashBits}); 11 is the default`);
    }
    this.config = { kind: "hashed-ngrams", hashBits };
    this.blockSize = 2 ** hashBits;
    this.dim = 2 * this.blockSize + OVERLAP_DIM;
  }

  async featurize(batch: readonly RewardInput[]): Promise<Float32Array> {
    const out = new Float32Array(batch.length * this.dim);
    batch.forEach((input, row) => this.writeRow(input, out, row * this.dim));
    return out;
  }

  private writeRow(input: RewardInput, out: Float32Array, base: number): void {
    const context = new Map<number, number>();
    addText(context, "desc", input.description, this.blockSize);
    addFields(context, "in", input.inputs, this.blockSize);
    const outputs = new Map<number, number>();
    addFields(outputs, "out", input.outputs, this.blockSize);
    writeBlock(context, out, base);
    writeBlock(outputs, out, base + this.blockSize);
    writeOverlapFeatures(input, out, base + 2 * this.blockSize);
  }
}

function addFields(block: Block, part: string, fields: Fields, size: number): void {
  for (const [name, value] of Object.entries(fields)) addText(block, `${part}/${name}`, valueText(value), size);
}

function addText(block: Block, namespace: string, text: string, size: number): void {
  const ns = fnv1a(`${namespace}\u0000`);
  const w = words(text);
  for (let i = 0; i < w.length; i++) {
    addFeature(block, fnv1a(`w\u0000${w[i]}`, ns), size);
    if (i > 0) addFeature(block, fnv1a(`b\u0000${w[i - 1]}\u0000${w[i]}`, ns), size);
    for (const g of charNgrams(w[i]!, 3)) addFeature(block, fnv1a(`c\u0000${g}`, ns), size);
  }
}
