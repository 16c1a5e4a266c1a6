import type { LM } from "../lm/types";
import type { Featurizer, FeaturizerConfig } from "./types";
import { HashedNgramFeaturizer } from "./hashed-featurizer";
import { EmbeddingFeaturizer } from "./embedding-featurizer";

/** Rebuilds the featurizer a saved reward model was trained with. */
export function featurizerFromConfig(config: FeaturizerConfig, deps: { lm?: LM } = {}): Featurizer {
  switch (config.kind) {
    case "hashed-ngrams":
      return new HashedNgramFeaturizer({ hashBits: config.hashBits });
    case "embedding": {
      const { lm } = deps;
      if (!lm) throw new Error(`this reward model uses embeddings from ${config.providerId}; pass { lm } to load it`);
      if (lm.providerId !== config.providerId) {
        throw new Error(`this reward model was trained on embeddings from ${config.providerId}, but the given LM is ${lm.providerId}; load it with that provider`);
      }
      return new EmbeddingFeaturizer(lm, { embeddingDim: config.embeddingDim });
    }
    default:
      throw new Error(`unknown featurizer kind "${(config as { kind: unknown }).kind}" (expected "hashed-ngrams" or "embedding")`);
  }
}
