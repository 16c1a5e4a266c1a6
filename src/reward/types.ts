import type { Fields } from "../core/json";

/**
 * One preference of the global metric between two outputs of the same component on the same
 * inputs: what preference collection produces and what a Local Reward Function trains on.
 */
export interface PreferencePair {
  component: string;
  /** The component's input fields, in its `inputFields` order. */
  inputs: Fields;
  chosen: Fields;
  rejected: Fields;
  /** Global rewards of the two candidates (means over rollouts); chosen must score higher to count. */
  scoreChosen: number;
  scoreRejected: number;
}

/** What a Local Reward Function scores: one component's outputs given its inputs. */
export interface RewardInput {
  component: string;
  /** The component's task description; it identifies the component inside the reward text. */
  description: string;
  inputs: Fields;
  outputs: Fields;
}

/** The hashed n-gram featurizer's settings: enough to rebuild an identical featurizer. */
export interface HashedFeaturizerConfig {
  kind: "hashed-ngrams";
  /** Each hashed block (context, outputs) has 2^hashBits slots. */
  hashBits: number;
}

/** The structured n-gram featurizer's settings (`version` names its feature set, so a change never reinterprets a saved model). */
export interface StructuredFeaturizerConfig {
  kind: "structured-ngrams";
  version: number;
  /** The output block has 2^hashBits slots, the context and co-occurrence blocks 2^(hashBits-1). */
  hashBits: number;
}

/** The embeddings-endpoint featurizer's settings. */
export interface EmbeddingFeaturizerConfig {
  kind: "embedding";
  /** Length of the vectors the endpoint returns. */
  embeddingDim: number;
  /** The LM provider whose embeddings the model was trained on; other providers' vectors do not fit. */
  providerId: string;
}

export type FeaturizerConfig = HashedFeaturizerConfig | StructuredFeaturizerConfig | EmbeddingFeaturizerConfig;

/** Turns reward inputs into fixed-length feature vectors for the reward model. */
export interface Featurizer {
  readonly dim: number;
  readonly config: FeaturizerConfig;
  /** Row-major matrix of shape [batch.length, dim]; row i belongs to batch[i]. */
  featurize(batch: readonly RewardInput[]): Promise<Float32Array>;
}
