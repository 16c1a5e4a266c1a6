/** Local Reward Functions: featurizers, the multi-head TensorFlow.js reward model and its backend. */
export type { PreferencePair, RewardInput, Featurizer, FeaturizerConfig, HashedFeaturizerConfig, StructuredFeaturizerConfig, EmbeddingFeaturizerConfig } from "./types";
export { HashedNgramFeaturizer, type HashedFeaturizerOptions } from "./hashed-featurizer";
export { StructuredNgramFeaturizer, STRUCTURED_FEATURIZER_VERSION, type StructuredFeaturizerOptions } from "./structured-featurizer";
export { EmbeddingFeaturizer, type EmbeddingFeaturizerOptions } from "./embedding-featurizer";
export { featurizerFromConfig, defaultFeaturizer } from "./featurizers";
export { OVERLAP_FEATURES, OVERLAP_DIM, type OverlapFeature } from "./overlap";
export { rewardText, pythonText } from "./template";
export { LocalRewardModel } from "./lrf";
export type { RewardHead, LocalRewardModelOptions, TrainOptions, TrainReport, EpochMetrics, PairAccuracy, SavedLocalRewardModel, SavedLocalRewardModelV1, SavedTensor } from "./lrf";
export { marginWeights, usablePairs, pairCredit, type MarginMode, type PairFilterReport } from "./pairs";
export { loadTf, chooseBackend, describeRuntime, BACKEND_ORDER, type TfBackend, type TfRuntime, type BackendAttempt, type LoadTfOptions } from "./backend";
export { syntheticPairs, SYNTHETIC_MARKER, type SyntheticPreference, type SyntheticPairOptions } from "./synthetic";
