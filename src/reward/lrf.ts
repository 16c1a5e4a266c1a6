import * as fs from "node:fs/promises";
import * as tf from "@tensorflow/tfjs";
import { decodeFloat32Base64, encodeFloat32Base64 } from "../core/float32-base64";
import { createRng, shuffled } from "../core/random";
import type { LM } from "../core/lm-types";
import type { Featurizer, FeaturizerConfig, PreferencePair, RewardInput } from "./types";
import { loadTf, type TfBackend } from "./backend";
import { matMulFor, type MatMul } from "./dense";
import { featurizerFromConfig } from "./featurizers";
import { marginWeights, pairCredit, usablePairs, type MarginMode, type PairFilterReport } from "./pairs";

/** One optimizable component the model scores: its head is picked by `name`. */
export interface RewardHead {
  name: string;
  description: string;
}

export interface LocalRewardModelOptions {
  /** The optimizable components, in the system's order (a `Component` fits). */
  heads: readonly RewardHead[];
  featurizer: Featurizer;
  /** Widths of the shared ReLU trunk (default [128, 64]). */
  hidden?: readonly number[];
  /** Seeds weight initialization and training shuffles (default 0). */
  seed?: number;
  /** Force a tfjs backend; default: the fastest available (see `loadTf`). */
  backend?: TfBackend | "auto";
}

export interface TrainOptions {
  /** Passes over the pairs (default 10; `adapt` defaults to 1). */
  epochs?: number;
  /** Pairs per Adam step (default 32). */
  batchSize?: number;
  /** Adam learning rate (default 1e-3). */
  learningRate?: number;
  /** Coefficient of the squared-weight penalty on trunk and head kernels (default 0). */
  l2?: number;
  /** How score gaps weight pairs (default "minmax", the reference's rule, guarded). */
  marginMode?: MarginMode;
  /** Held-out pairs whose accuracy is measured after every epoch. */
  validation?: readonly PreferencePair[];
  /** Progress callback, once per epoch. */
  onEpoch?: (metrics: EpochMetrics) => void;
}

export interface EpochMetrics {
  epoch: number;
  /** Mean margin-weighted Bradley–Terry loss over the epoch's pairs (without the L2 term). */
  loss: number;
  /** Fraction of training pairs ranked correctly as they were seen during the epoch. */
  pairAccuracy: number;
  validation?: PairAccuracy;
}

export interface TrainReport {
  epochs: EpochMetrics[];
  /** Pairs trained on after filtering. */
  pairs: number;
  steps: number;
  dropped: PairFilterReport;
  marginMode: MarginMode;
}

/**
 * Share of pairs whose chosen output gets the higher reward; a tie counts 0.5 (the reference's
 * rule). Pairs that state no preference (non-finite scores, chosen not above rejected) are not
 * counted. NaN when no pair counts.
 */
export interface PairAccuracy {
  accuracy: number;
  pairs: number;
  perComponent: Record<string, { accuracy: number; pairs: number }>;
}

/** One weight tensor: base64 of its little-endian float32 bytes, bit-exact and ~4× smaller than JSON numbers. */
export interface SavedTensor {
  shape: number[];
  dtype: "float32";
  base64: string;
}

/** The JSON form of a trained model: everything needed to score identically elsewhere. */
export interface SavedLocalRewardModel {
  format: "optimas-lrf";
  version: 2;
  heads: RewardHead[];
  hidden: number[];
  seed: number;
  /** Train calls made so far; later calls continue the shuffle streams where they left off. */
  trainCalls: number;
  featurizer: FeaturizerConfig;
  /** The tfjs backend the model ran on when saved (informational). */
  backend: TfBackend;
  inputDim: number;
  weights: Record<string, SavedTensor>;
}

/** Version 1 wrote every weight as a JSON number; still read so older run directories resume. */
export type SavedLocalRewardModelV1 = Omit<SavedLocalRewardModel, "version" | "weights"> & {
  version: 1;
  weights: Record<string, { shape: number[]; values: number[] }>;
};

interface Dense {
  kernel: tf.Variable;
  bias: tf.Variable;
}

/**
 * Featurized rows kept in JS memory, row-major, with each row's head. Batches are copied out of it
 * into fresh tensors: on wasm that is ~50× cheaper than `tf.gather` from a resident tensor.
 */
interface RowMatrix {
  features: Float32Array;
  heads: Int32Array;
  rows: number;
}

const SCORE_CHUNK = 512;

/**
 * The Local Reward Function: a shared dense ReLU trunk over featurized (inputs, outputs) and one
 * linear head per optimizable component, as in the reference (one backbone, `num_labels` =
 * number of optimizable components, no head bias). A row's reward is its component's head output.
 * Trained with the margin-weighted Bradley–Terry loss `mean(w · softplus(−(r⁺ − r⁻)))` — the
 * stable form of `−w · log σ(r⁺ − r⁻)` — by Adam; a fresh optimizer per `train` call, as the
 * reference starts a fresh trainer per adaptation.
 */
export class LocalRewardModel {
  readonly heads: readonly RewardHead[];
  readonly featurizer: Featurizer;
  readonly hidden: readonly number[];
  readonly seed: number;
  readonly backend: TfBackend;
  private readonly headIndexByName: Map<string, number>;
  private readonly trunk: Dense[];
  private readonly headKernel: tf.Variable;
  /** One matMul per trunk layer (the first skips its input's gradient), then the heads'. */
  private readonly matMuls: MatMul[];
  private trainCalls: number;
  private disposed = false;

  private constructor(
    heads: readonly RewardHead[],
    featurizer: Featurizer,
    hidden: readonly number[],
    seed: number,
    backend: TfBackend,
    weights: ReadonlyMap<string, { shape: number[]; values: Float32Array }>,
    trainCalls: number,
  ) {
    this.heads = heads.map((h) => ({ name: h.name, description: h.description }));
    this.featurizer = featurizer;
    this.hidden = [...hidden];
    this.seed = seed;
    this.backend = backend;
    this.trainCalls = trainCalls;
    this.headIndexByName = new Map(this.heads.map((h, i) => [h.name, i]));
    const variable = (name: string) => {
      const w = weights.get(name)!;
      return tf.tidy(() => tf.variable(tf.tensor(w.values, w.shape)));
    };
    this.trunk = this.hidden.map((_, i) => ({ kernel: variable(`trunk.${i}.kernel`), bias: variable(`trunk.${i}.bias`) }));
    this.headKernel = variable("heads.kernel");
    this.matMuls = [...this.hidden, "heads"].map((_, i) => matMulFor(backend, i > 0));
  }

  /** A freshly initialized model on the selected backend; weights depend only on the seed and shapes. */
  static async create(options: LocalRewardModelOptions): Promise<LocalRewardModel> {
    const heads = checkHeads(options.heads);
    const hidden = checkHidden(options.hidden ?? [128, 64]);
    const seed = options.seed ?? 0;
    const { backend } = await loadTf({ backend: options.backend });
    const weights = initialWeights(options.featurizer.dim, hidden, heads.length, seed);
    return new LocalRewardModel(heads, options.featurizer, hidden, seed, backend, weights, 0);
  }

  /** Rebuilds a saved model (either version); `lm` is needed when it was trained on embedding features. */
  static async deserialize(saved: SavedLocalRewardModel | SavedLocalRewardModelV1, deps: { lm?: LM; backend?: TfBackend | "auto"; source?: string } = {}): Promise<LocalRewardModel> {
    const where = deps.source ?? "saved reward model";
    if (saved?.format !== "optimas-lrf" || (saved.version !== 1 && saved.version !== 2)) {
      throw new Error(`${where}: not an optimas-lrf model of version 1 or 2 (format ${JSON.stringify(saved?.format)}, version ${JSON.stringify(saved?.version)})`);
    }
    const heads = checkHeads(saved.heads);
    const hidden = checkHidden(saved.hidden);
    const featurizer = featurizerFromConfig(saved.featurizer, { lm: deps.lm });
    if (featurizer.dim !== saved.inputDim) {
      throw new Error(`${where}: inputDim is ${saved.inputDim}, but its featurizer produces ${featurizer.dim} features`);
    }
    const weights = savedWeights(saved, parameterShapes(saved.inputDim, hidden, heads.length), where);
    const { backend } = await loadTf({ backend: deps.backend });
    return new LocalRewardModel(heads, featurizer, hidden, saved.seed, backend, weights, saved.trainCalls);
  }

  static async load(file: string, deps: { lm?: LM; backend?: TfBackend | "auto" } = {}): Promise<LocalRewardModel> {
    let saved: SavedLocalRewardModel | SavedLocalRewardModelV1;
    try {
      saved = JSON.parse(await fs.readFile(file, "utf8")) as SavedLocalRewardModel | SavedLocalRewardModelV1;
    } catch (err) {
      throw new Error(`cannot read reward model ${file}: ${(err as Error).message}`);
    }
    return LocalRewardModel.deserialize(saved, { ...deps, source: file });
  }

  /** Index of a component's head; an unknown component is an error naming the known heads. */
  headIndex(component: string): number {
    const i = this.headIndexByName.get(component);
    if (i === undefined) {
      throw new Error(`reward model has no head for component "${component}" (heads: ${this.heads.map((h) => h.name).join(", ")})`);
    }
    return i;
  }

  /** Raw rewards (logits; no sigmoid), one per input, each from its own component's head. */
  async score(inputs: readonly RewardInput[]): Promise<number[]> {
    this.checkLive();
    const scores: number[] = [];
    for (let start = 0; start < inputs.length; start += SCORE_CHUNK) {
      scores.push(...(await this.rewardsOf(await this.rowMatrix(inputs.slice(start, start + SCORE_CHUNK)))));
    }
    return scores;
  }

  /** Trains every pair's own head (and the shared trunk) on the pairs that state a preference. */
  async train(pairs: readonly PreferencePair[], options: TrainOptions = {}): Promise<TrainReport> {
    this.checkLive();
    const epochs = positiveInt(options.epochs ?? 10, "epochs", true);
    const batchSize = positiveInt(options.batchSize ?? 32, "batchSize");
    const learningRate = positiveNumber(options.learningRate ?? 1e-3, "learningRate");
    const l2 = options.l2 ?? 0;
    if (!(l2 >= 0)) throw new Error(`train: l2 must be >= 0 (got ${l2})`);
    const marginMode = options.marginMode ?? "minmax";
    pairs.forEach((p) => this.headIndex(p.component));
    const { pairs: usable, dropped } = usablePairs(pairs);
    const weights = marginWeights(usable, marginMode);
    const rng = createRng(`${this.seed}/lrf-train/${this.trainCalls++}`);
    const report: TrainReport = { epochs: [], pairs: usable.length, steps: 0, dropped, marginMode };
    if (usable.length === 0 || epochs === 0) return report;

    const train = await this.pairMatrix(usable);
    const validation = options.validation ? await this.pairMatrix(usablePairs(options.validation).pairs) : undefined;
    const optimizer = tf.train.adam(learningRate);
    const n = usable.length;
    try {
      for (let epoch = 1; epoch <= epochs; epoch++) {
        const order = shuffled([...Array(n).keys()], rng);
        let totals = tf.zeros([2]); // [weighted loss sum, credit sum] kept on the device until the epoch ends
        for (let start = 0; start < n; start += batchSize) {
          const batch = order.slice(start, start + batchSize);
          const stats = this.step(optimizer, train, batch, weights, l2);
          const next = tf.add(totals, stats);
          totals.dispose();
          stats.dispose();
          totals = next;
          report.steps++;
        }
        const [lossSum, credit] = await totals.data();
        totals.dispose();
        const metrics: EpochMetrics = { epoch, loss: lossSum! / n, pairAccuracy: credit! / n };
        if (validation) metrics.validation = await this.accuracyOf(validation.rows, validation.components);
        report.epochs.push(metrics);
        options.onEpoch?.(metrics);
      }
    } finally {
      optimizer.dispose();
    }
    return report;
  }

  /**
   * Continued training on a replay buffer of old and fresh on-policy pairs, as in the optimizer's
   * per-iteration LRF adaptation: `train` from the current weights, one epoch unless told otherwise.
   */
  adapt(pairs: readonly PreferencePair[], options: TrainOptions = {}): Promise<TrainReport> {
    return this.train(pairs, { ...options, epochs: options.epochs ?? 1 });
  }

  /** Pair accuracy overall and per component (ties count 0.5; pairs stating no preference are skipped). */
  async pairAccuracy(pairs: readonly PreferencePair[]): Promise<PairAccuracy> {
    this.checkLive();
    pairs.forEach((p) => this.headIndex(p.component));
    const { rows, components } = await this.pairMatrix(usablePairs(pairs).pairs);
    return this.accuracyOf(rows, components);
  }

  async serialize(): Promise<SavedLocalRewardModel> {
    this.checkLive();
    const weights: SavedLocalRewardModel["weights"] = {};
    for (const [name, v] of this.parameters()) {
      weights[name] = { shape: [...v.shape], dtype: "float32", base64: encodeFloat32Base64((await v.data()) as Float32Array) };
    }
    return {
      format: "optimas-lrf",
      version: 2,
      heads: this.heads.map((h) => ({ ...h })),
      hidden: [...this.hidden],
      seed: this.seed,
      trainCalls: this.trainCalls,
      featurizer: this.featurizer.config,
      backend: this.backend,
      inputDim: this.featurizer.dim,
      weights,
    };
  }

  async save(file: string): Promise<void> {
    await fs.writeFile(file, JSON.stringify(await this.serialize()));
  }

  /** Frees the model's tensors; the model cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    for (const [, v] of this.parameters()) v.dispose();
    this.disposed = true;
  }

  private parameters(): [string, tf.Variable][] {
    return [
      ...this.trunk.flatMap((d, i): [string, tf.Variable][] => [[`trunk.${i}.kernel`, d.kernel], [`trunk.${i}.bias`, d.bias]]),
      ["heads.kernel", this.headKernel],
    ];
  }

  private checkLive(): void {
    if (this.disposed) throw new Error("this reward model was disposed");
  }

  /** One Adam step on a batch of pair indices; returns [weighted loss sum, credit sum] for the batch. */
  private step(optimizer: tf.Optimizer, train: { rows: RowMatrix; n: number }, batch: number[], weights: Float32Array, l2: number): tf.Tensor1D {
    const b = batch.length;
    // Rows 0..n-1 of the matrix are the chosen outputs, n..2n-1 the rejected ones: one batch and
    // one forward pass score both sides of every pair.
    const rowIdx = [...batch, ...batch.map((i) => i + train.n)];
    const x = copyRows(train.rows, rowIdx);
    const heads = Int32Array.from(rowIdx, (r) => train.rows.heads[r]!);
    const w = Float32Array.from(batch, (i) => weights[i]!);
    let stats: tf.Tensor1D | undefined;
    const kernels = [...this.trunk.map((d) => d.kernel), this.headKernel];
    optimizer.minimize(
      () => {
        const rewards = this.forward(tf.tensor2d(x, [rowIdx.length, this.featurizer.dim]), heads);
        const diff = tf.sub(tf.slice(rewards, [0], [b]), tf.slice(rewards, [b], [b]));
        const terms = tf.mul(tf.tensor1d(w), tf.softplus(tf.neg(diff)));
        const credit = tf.add(tf.cast(tf.greater(diff, 0), "float32"), tf.mul(tf.cast(tf.equal(diff, 0), "float32"), 0.5));
        stats = tf.keep(tf.stack([tf.sum(terms), tf.sum(credit)]) as tf.Tensor1D);
        const loss = tf.div(tf.sum(terms), b);
        if (l2 === 0) return loss as tf.Scalar;
        return tf.add(loss, tf.mul(l2, tf.addN(kernels.map((k) => tf.sum(tf.square(k)))))) as tf.Scalar;
      },
      false,
      this.parameters().map(([, v]) => v),
    );
    return stats!;
  }

  private forward(x: tf.Tensor2D, heads: Int32Array): tf.Tensor1D {
    let h: tf.Tensor2D = x;
    this.trunk.forEach(({ kernel, bias }, i) => {
      h = tf.relu(tf.add(this.matMuls[i]!(h, kernel as tf.Tensor2D), bias)) as tf.Tensor2D;
    });
    const perHead = this.matMuls[this.trunk.length]!(h, this.headKernel as tf.Tensor2D);
    return tf.sum(tf.mul(perHead, this.headMask(heads)), 1);
  }

  /** 0/1 matrix [rows, heads] selecting each row's own head (tf.oneHot rejects a single head). */
  private headMask(heads: Int32Array): tf.Tensor2D {
    const k = this.heads.length;
    const mask = new Float32Array(heads.length * k);
    heads.forEach((h, row) => {
      mask[row * k + h] = 1;
    });
    return tf.tensor2d(mask, [heads.length, k]);
  }

  private async rewardsOf(rows: RowMatrix): Promise<number[]> {
    const out: number[] = [];
    const dim = this.featurizer.dim;
    for (let start = 0; start < rows.rows; start += SCORE_CHUNK) {
      const size = Math.min(SCORE_CHUNK, rows.rows - start);
      const x = rows.features.subarray(start * dim, (start + size) * dim);
      const r = tf.tidy(() => this.forward(tf.tensor2d(x, [size, dim]), rows.heads.subarray(start, start + size)));
      try {
        out.push(...(await r.data()));
      } finally {
        r.dispose();
      }
    }
    return out;
  }

  private async accuracyOf(rows: RowMatrix, components: readonly string[]): Promise<PairAccuracy> {
    const n = components.length;
    const rewards = n === 0 ? [] : await this.rewardsOf(rows);
    const sums = new Map<string, { credit: number; pairs: number }>();
    let credit = 0;
    components.forEach((c, i) => {
      const k = pairCredit(rewards[i]!, rewards[i + n]!);
      credit += k;
      const s = sums.get(c) ?? { credit: 0, pairs: 0 };
      s.credit += k;
      s.pairs++;
      sums.set(c, s);
    });
    const perComponent: PairAccuracy["perComponent"] = {};
    for (const [c, s] of sums) perComponent[c] = { accuracy: s.credit / s.pairs, pairs: s.pairs };
    return { accuracy: n === 0 ? Number.NaN : credit / n, pairs: n, perComponent };
  }

  /** Chosen rows then rejected rows of the pairs, featurized. */
  private async pairMatrix(pairs: readonly PreferencePair[]): Promise<{ rows: RowMatrix; n: number; components: string[] }> {
    const inputsOf = (p: PreferencePair, outputs: PreferencePair["chosen"]): RewardInput => ({
      component: p.component,
      description: this.heads[this.headIndex(p.component)]!.description,
      inputs: p.inputs,
      outputs,
    });
    const rows = await this.rowMatrix([...pairs.map((p) => inputsOf(p, p.chosen)), ...pairs.map((p) => inputsOf(p, p.rejected))]);
    return { rows, n: pairs.length, components: pairs.map((p) => p.component) };
  }

  private async rowMatrix(inputs: readonly RewardInput[]): Promise<RowMatrix> {
    const heads = Int32Array.from(inputs, (r) => this.headIndex(r.component));
    const features = await this.featurizer.featurize(inputs);
    const dim = this.featurizer.dim;
    if (features.length !== inputs.length * dim) {
      throw new Error(`featurizer returned ${features.length} values for ${inputs.length} rows of ${dim} features`);
    }
    return { features, heads, rows: inputs.length };
  }
}

/** The listed rows of a matrix, copied into one contiguous batch. */
function copyRows(matrix: RowMatrix, rows: readonly number[]): Float32Array {
  const dim = matrix.features.length / matrix.rows;
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => out.set(matrix.features.subarray(r * dim, (r + 1) * dim), i * dim));
  return out;
}

function checkHeads(heads: readonly RewardHead[] | undefined): RewardHead[] {
  if (!Array.isArray(heads) || heads.length === 0) throw new Error("reward model: heads must list at least one optimizable component");
  const seen = new Set<string>();
  for (const h of heads) {
    if (typeof h?.name !== "string" || h.name === "") throw new Error("reward model: every head needs a component name");
    if (seen.has(h.name)) throw new Error(`reward model: head "${h.name}" is listed twice`);
    seen.add(h.name);
  }
  return heads.map((h) => ({ name: h.name, description: String(h.description ?? "") }));
}

function checkHidden(hidden: readonly number[] | undefined): number[] {
  if (!Array.isArray(hidden) || hidden.length === 0 || !hidden.every((w) => Number.isInteger(w) && w > 0)) {
    throw new Error(`reward model: hidden must be a non-empty list of positive layer widths (got ${JSON.stringify(hidden)}), e.g. [128, 64]`);
  }
  return [...hidden];
}

function positiveInt(value: number, name: string, allowZero = false): number {
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) throw new Error(`train: ${name} must be an integer >= ${allowZero ? 0 : 1} (got ${value})`);
  return value;
}

function positiveNumber(value: number, name: string): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new Error(`train: ${name} must be a positive number (got ${value})`);
  return value;
}

function parameterShapes(inputDim: number, hidden: readonly number[], heads: number): [string, number[]][] {
  const shapes: [string, number[]][] = [];
  let fanIn = inputDim;
  hidden.forEach((width, i) => {
    shapes.push([`trunk.${i}.kernel`, [fanIn, width]], [`trunk.${i}.bias`, [width]]);
    fanIn = width;
  });
  shapes.push(["heads.kernel", [fanIn, heads]]);
  return shapes;
}

/** The saved weights checked against the shapes the model needs; a bad tensor is an error naming it. */
function savedWeights(saved: SavedLocalRewardModel | SavedLocalRewardModelV1, shapes: readonly [string, number[]][], where: string): Map<string, { shape: number[]; values: Float32Array }> {
  const weights = new Map<string, { shape: number[]; values: Float32Array }>();
  const fix = "restore the file or start a new run";
  for (const [name, shape] of shapes) {
    const size = shape.reduce((a, b) => a * b, 1);
    const field = `weights["${name}"]`;
    if (saved.version === 1) {
      const w = saved.weights?.[name];
      if (!w || !Array.isArray(w.values) || w.values.length !== size || JSON.stringify(w.shape) !== JSON.stringify(shape)) {
        throw new Error(`${where}: ${field} must have shape [${shape.join(", ")}] and ${size} values; ${fix}`);
      }
      weights.set(name, { shape, values: Float32Array.from(w.values) });
      continue;
    }
    const w = saved.weights?.[name];
    if (!w || w.dtype !== "float32" || JSON.stringify(w.shape) !== JSON.stringify(shape)) {
      throw new Error(`${where}: ${field} must be a float32 tensor of shape [${shape.join(", ")}] (found ${w ? `${JSON.stringify(w.dtype)} of shape ${JSON.stringify(w.shape)}` : "none"}); ${fix}`);
    }
    try {
      weights.set(name, { shape, values: decodeFloat32Base64(w.base64, size) });
    } catch (err) {
      throw new Error(`${where}: ${field}.base64 ${(err as Error).message}; ${fix}`);
    }
  }
  return weights;
}

/**
 * He-uniform trunk kernels (ReLU), Glorot-uniform head columns, zero biases, each parameter drawn
 * from its own seeded stream so the weights depend on nothing but the seed and the shapes.
 */
function initialWeights(inputDim: number, hidden: readonly number[], heads: number, seed: number): Map<string, { shape: number[]; values: Float32Array }> {
  const weights = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const [name, shape] of parameterShapes(inputDim, hidden, heads)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (shape.length === 2) {
      const fanIn = shape[0]!;
      const limit = name === "heads.kernel" ? Math.sqrt(6 / (fanIn + 1)) : Math.sqrt(6 / fanIn);
      const rng = createRng(`${seed}/lrf-init/${name}`);
      for (let i = 0; i < size; i++) values[i] = (2 * rng() - 1) * limit;
    }
    weights.set(name, { shape, values });
  }
  return weights;
}
