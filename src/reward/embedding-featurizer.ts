import type { LM } from "../core/lm-types";
import type { EmbeddingFeaturizerConfig, Featurizer, RewardInput } from "./types";
import { OVERLAP_DIM, writeOverlapFeatures } from "./overlap";
import { rewardText } from "./template";

export interface EmbeddingFeaturizerOptions {
  /** Length of the endpoint's vectors (e.g. 1536 for text-embedding-3-small). */
  embeddingDim: number;
  /** Texts per `embed` call (default 64). */
  batchSize?: number;
}

/**
 * Features from an embeddings endpoint: the vector of the reward text (template §4.2: description,
 * inputs, outputs), L2-normalized, followed by the same dense overlap features as the hashed
 * featurizer. Vectors are cached in memory by text, so re-scoring and re-training never pay twice.
 */
export class EmbeddingFeaturizer implements Featurizer {
  readonly dim: number;
  readonly config: EmbeddingFeaturizerConfig;
  private readonly batchSize: number;
  private readonly cache = new Map<string, Float32Array>();

  constructor(
    private readonly lm: LM,
    options: EmbeddingFeaturizerOptions,
  ) {
    const { embeddingDim } = options;
    if (!Number.isInteger(embeddingDim) || embeddingDim < 1) {
      throw new Error(`embedding featurizer: embeddingDim must be a positive integer (got ${embeddingDim}); set it to the endpoint's vector length`);
    }
    this.batchSize = Math.max(1, options.batchSize ?? 64);
    this.config = { kind: "embedding", embeddingDim, providerId: lm.providerId };
    this.dim = embeddingDim + OVERLAP_DIM;
  }

  /** Number of distinct texts embedded so far (the cache size). */
  get cachedTexts(): number {
    return this.cache.size;
  }

  async featurize(batch: readonly RewardInput[]): Promise<Float32Array> {
    const texts = batch.map(rewardText);
    await this.embedMissing(texts);
    const out = new Float32Array(batch.length * this.dim);
    const { embeddingDim } = this.config;
    batch.forEach((input, row) => {
      const base = row * this.dim;
      out.set(this.cache.get(texts[row]!)!, base);
      writeOverlapFeatures(input, out, base + embeddingDim);
    });
    return out;
  }

  private async embedMissing(texts: readonly string[]): Promise<void> {
    const missing = [...new Set(texts)].filter((t) => !this.cache.has(t));
    for (let start = 0; start < missing.length; start += this.batchSize) {
      const chunk = missing.slice(start, start + this.batchSize);
      const vectors = await this.lm.embed(chunk, { stage: "reward" });
      if (vectors.length !== chunk.length) {
        throw new Error(`embedding endpoint ${this.lm.providerId} returned ${vectors.length} vectors for ${chunk.length} texts`);
      }
      chunk.forEach((text, i) => this.cache.set(text, this.normalized(vectors[i]!)));
    }
  }

  private normalized(vector: readonly number[]): Float32Array {
    const { embeddingDim } = this.config;
    if (vector.length !== embeddingDim) {
      throw new Error(
        `embedding endpoint ${this.lm.providerId} returned vectors of length ${vector.length}, but the featurizer was configured with embeddingDim ${embeddingDim}; set embeddingDim: ${vector.length}`,
      );
    }
    let norm = 0;
    for (const x of vector) norm += x * x;
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    return Float32Array.from(vector, (x) => x * inv);
  }
}
