import type { LM } from "../core/lm-types";
import type { Featurizer, FeaturizerConfig } from "./types";
import { HashedNgramFeaturizer } from "./hashed-featurizer";
import { EmbeddingFeaturizer } from "./embedding-featurizer";
import { STRUCTURED_FEATURIZER_VERSION, StructuredNgramFeaturizer } from "./structured-featurizer";

/**
 * The featurizer of new reward models: structured n-grams see order, lines and input×output
 * co-occurrence, which the hashed n-grams (a bag of words and bigrams) cannot; measured by
 * `npm run bench:lrf-alignment`. Saved models keep the featurizer they were trained with.
 */
export function defaultFeaturizer(): Featurizer {
  return new StructuredNgramFeaturizer();
}

/** Rebuilds the featurizer a saved reward model was trained with. */
export function featurizerFromConfig(config: FeaturizerConfig, deps: { lm?: LM } = {}): Featurizer {
  switch (config.kind) {
    case "hashed-ngrams":
      return new HashedNgramFeaturizer({ hashBits: config.hashBits });
    case "structured-ngrams":
      if (config.version !== STRUCTURED_FEATURIZER_VERSION) {
        throw new Error(`this reward model uses structured-ngrams features version ${config.version}, but this build computes version ${STRUCTURED_FEATURIZER_VERSION}; use the optimas-ts release that wrote it or start a new run`);
      }
      return new StructuredNgramFeaturizer({ hashBits: config.hashBits });
    case "embedding": {
      const { lm } = deps;
      if (!lm) throw new Error(`this reward model uses embeddings from ${config.providerId}; pass { lm } to load it`);
      if (lm.providerId !== config.providerId) {
        throw new Error(`this reward model was trained on embeddings from ${config.providerId}, but the given LM is ${lm.providerId}; load it with that provider`);
      }
      return new EmbeddingFeaturizer(lm, { embeddingDim: config.embeddingDim });
    }
    default:
      throw new Error(`unknown featurizer kind "${(config as { kind: unknown }).kind}" (expected "hashed-ngrams", "structured-ngrams" or "embedding")`);
  }
}
