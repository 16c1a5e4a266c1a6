import type * as tfjs from "@tensorflow/tfjs";
import type { Fields, Json } from "../../core/json";
import type { Policy } from "../../core/policy";
import { createRng, normal, type Rng } from "../../core/random";
import type { WeightsValue } from "../../core/variable";
import type { Tf } from "../../reward/backend";

/**
 * The local trainable model behind both Amazon `weights` components: a scorer of the items an
 * input offers (session keywords, candidate products), each described by a feature row x,
 *
 *   s(x) = x·w + v·tanh(x·W + b),
 *
 * and a Plackett–Luce policy over those scores: a sample picks items one after another, each with
 * probability softmax(s / T) over the items not yet picked. `w` starts at the architecture's base
 * weights (its "pretrained" part); W is drawn from a seed; b and v start at zero, so an untrained
 * model equals its base, as an untrained LoRA adapter equals its base model in the reference.
 */

/** What an item scorer is: its architecture id, named features, hidden width and base weights. */
export interface ScorerArch {
  id: string;
  features: readonly string[];
  hidden: number;
  /** Initial value of `w`, one weight per feature. */
  base: readonly number[];
}

/** How one component turns inputs into scored items and picked items into outputs. */
export interface ItemTask<Item> {
  arch: ScorerArch;
  /** The items an input offers and one feature row per item (arch.features order). */
  featurize(inputs: Fields): { items: Item[]; rows: number[][] };
  /** How many items a sample picks out of `count`. */
  picks(count: number): number;
  /** The component's outputs, given the picked item indices in pick order. */
  render(inputs: Fields, items: readonly Item[], picked: readonly number[]): Fields;
}

const TENSORS = ["w", "W", "b", "v"] as const;

function shapes(arch: ScorerArch): Record<(typeof TENSORS)[number], number[]> {
  const f = arch.features.length;
  return { w: [f], W: [f, arch.hidden], b: [arch.hidden], v: [arch.hidden] };
}

/** The untrained weights of an architecture: deterministic for a seed. */
export function initialWeights(arch: ScorerArch, seed: string): WeightsValue {
  if (arch.base.length !== arch.features.length) throw new Error(`scorer ${arch.id}: ${arch.base.length} base weights for ${arch.features.length} features`);
  const rng = createRng(`${arch.id}/init/${seed}`);
  const f = arch.features.length;
  const s = shapes(arch);
  return {
    arch: arch.id,
    tensors: {
      w: { shape: s.w, data: [...arch.base] },
      W: { shape: s.W, data: Array.from({ length: f * arch.hidden }, () => normal(rng, 0, 1 / Math.sqrt(f))) },
      b: { shape: s.b, data: new Array<number>(arch.hidden).fill(0) },
      v: { shape: s.v, data: new Array<number>(arch.hidden).fill(0) },
    },
  };
}

/** Rejects weights of another architecture or shape with one line naming the tensor and the fix. */
export function checkWeights(arch: ScorerArch, value: WeightsValue, owner: string): void {
  if (value.arch !== arch.id) throw new Error(`${owner}: weights are for architecture "${value.arch}", expected "${arch.id}"; load weights saved from this component`);
  const expected = shapes(arch);
  for (const name of TENSORS) {
    const t = value.tensors[name];
    const size = expected[name].reduce((a, b) => a * b, 1);
    if (!t || JSON.stringify(t.shape) !== JSON.stringify(expected[name]) || t.data.length !== size) {
      throw new Error(`${owner}: weights tensor "${name}" must have shape ${JSON.stringify(expected[name])} and ${size} values; load weights saved from this component`);
    }
  }
}

/** Draws `count` picks by Plackett–Luce at temperature T (T ≤ 0: highest scores first, ties by index). */
export function plackettLuce(scores: readonly number[], count: number, temperature: number, rng: Rng): number[] {
  const left = scores.map((_, i) => i);
  const picked: number[] = [];
  while (picked.length < count && left.length > 0) {
    let at = 0;
    if (temperature <= 0) {
      for (let j = 1; j < left.length; j++) if (scores[left[j]!]! > scores[left[at]!]!) at = j;
    } else {
      const top = Math.max(...left.map((i) => scores[i]!));
      const weights = left.map((i) => Math.exp((scores[i]! - top) / temperature));
      let r = rng() * weights.reduce((a, b) => a + b, 0);
      at = weights.length - 1;
      for (let j = 0; j < weights.length; j++) if ((r -= weights[j]!) < 0) {
        at = j;
        break;
      }
    }
    picked.push(left[at]!);
    left.splice(at, 1);
  }
  return picked;
}

// Masked-out logits: far below any real score, yet finite so that 0 · (masked term) stays 0.
const MASKED = -1e9;

/** A scorer's weights as live tfjs variables, with the Plackett–Luce policy of its task. */
export class ScorerPolicy<Item> implements Policy {
  private readonly vars: Record<(typeof TENSORS)[number], tfjs.Variable>;
  private optimizer: { lr: number; opt: tfjs.Optimizer } | undefined;

  constructor(
    private readonly tf: Tf,
    private readonly task: ItemTask<Item>,
    weights: WeightsValue,
    /** Sampling temperature of `sample` and of the log-probabilities `reinforce` trains. */
    private readonly temperature: number,
    /** Names the model's owner in error messages. */
    owner = `scorer ${task.arch.id}`,
  ) {
    if (!(temperature > 0)) throw new Error(`${owner}: a trainable policy needs a temperature above 0 (got ${temperature})`);
    checkWeights(task.arch, weights, owner);
    const t = weights.tensors;
    this.vars = {
      w: tf.variable(tf.tensor(t.w!.data, t.w!.shape)),
      W: tf.variable(tf.tensor(t.W!.data, t.W!.shape)),
      b: tf.variable(tf.tensor(t.b!.data, t.b!.shape)),
      v: tf.variable(tf.tensor(t.v!.data, t.v!.shape)),
    };
  }

  /** s(x) for rows X [n, F] → [n]. */
  private forward(x: tfjs.Tensor2D): tfjs.Tensor1D {
    const { tf, vars } = this;
    const f = this.task.arch.features.length;
    const hidden = tf.tanh(tf.add(tf.matMul(x, vars.W), vars.b));
    const linear = tf.matMul(x, vars.w.reshape([f, 1]));
    return tf.add(linear, tf.matMul(hidden, vars.v.reshape([this.task.arch.hidden, 1]))).reshape([-1]) as tfjs.Tensor1D;
  }

  /** The scores of feature rows (plain numbers). */
  scores(rows: readonly number[][]): number[] {
    if (rows.length === 0) return [];
    return Array.from(this.tf.tidy(() => this.forward(this.tf.tensor2d(rows as number[][], [rows.length, this.task.arch.features.length]))).dataSync() as Float32Array);
  }

  /** A sample at any temperature (the component's run-time temperature may differ from the training one). */
  sampleAt(inputs: Fields, rng: Rng, temperature: number): { outputs: Fields; action: Json } {
    const { items, rows } = this.task.featurize(inputs);
    const picked = plackettLuce(this.scores(rows), this.task.picks(items.length), temperature, rng);
    return { outputs: this.task.render(inputs, items, picked), action: picked };
  }

  sample(inputs: Fields, rng: Rng): { outputs: Fields; action: Json } {
    return this.sampleAt(inputs, rng, this.temperature);
  }

  /**
   * One Adam step on −mean_b A_b · log π(picks_b | inputs_b). The batch is padded to its largest
   * item count n and pick count m; `available[b, j, i]` marks the items still unpicked at pick j,
   * `chosen[b, j, i]` the item picked there, and `stepWeight[b, j]` is A_b on real picks, 0 on padding.
   */
  async reinforce(batch: readonly { inputs: Fields; action: Json; advantage: number }[], learningRate: number): Promise<number> {
    if (batch.length === 0) return 0;
    const { tf } = this;
    const f = this.task.arch.features.length;
    const entries = batch.map((e) => ({ rows: this.task.featurize(e.inputs).rows, picks: actionPicks(e.action, this.task.arch.id), advantage: e.advantage }));
    const n = Math.max(1, ...entries.map((e) => e.rows.length));
    const m = Math.max(1, ...entries.map((e) => e.picks.length));
    const b = entries.length;
    const x = new Float32Array(b * n * f);
    const available = new Float32Array(b * m * n);
    const chosen = new Float32Array(b * m * n);
    const stepWeight = new Float32Array(b * m);
    entries.forEach((e, bi) => {
      e.rows.forEach((row, i) => x.set(row, (bi * n + i) * f));
      const taken = new Set<number>();
      for (let j = 0; j < m; j++) {
        const base = (bi * m + j) * n;
        const pick = e.picks[j];
        if (pick === undefined) {
          available[base] = 1; // padding: one finite entry, weighted 0
          continue;
        }
        if (pick >= e.rows.length || taken.has(pick)) {
          throw new Error(`scorer ${this.task.arch.id}: action ${JSON.stringify(e.picks)} does not pick distinct items among the input's ${e.rows.length}`);
        }
        for (let i = 0; i < e.rows.length; i++) if (!taken.has(i)) available[base + i] = 1;
        chosen[base + pick] = 1;
        stepWeight[bi * m + j] = e.advantage;
        taken.add(pick);
      }
    });
    // Adam's moments persist across steps of one policy; a new learning rate starts a fresh optimizer.
    if (!this.optimizer || this.optimizer.lr !== learningRate) {
      this.optimizer?.opt.dispose();
      this.optimizer = { lr: learningRate, opt: tf.train.adam(learningRate) };
    }
    const loss = tf.tidy(() => {
      const xs = tf.tensor2d(x, [b * n, f]);
      const avail = tf.tensor3d(available, [b, m, n]);
      const pick = tf.tensor3d(chosen, [b, m, n]);
      const weight = tf.tensor2d(stepWeight, [b, m]);
      const cost = this.optimizer!.opt.minimize(
        () => {
          const z = tf.div(this.forward(xs).reshape([b, 1, n]), this.temperature);
          const masked = tf.add(z, tf.mul(tf.sub(1, avail), MASKED));
          const logp = tf.sub(tf.sum(tf.mul(z, pick), 2), tf.logSumExp(masked, 2));
          return tf.div(tf.neg(tf.sum(tf.mul(logp, weight))), b) as tfjs.Scalar;
        },
        true,
        Object.values(this.vars),
      );
      return cost!.dataSync()[0]!;
    });
    return loss;
  }

  weights(): WeightsValue {
    const tensors: WeightsValue["tensors"] = {};
    for (const name of TENSORS) tensors[name] = { shape: [...this.vars[name].shape], data: Array.from(this.vars[name].dataSync()) };
    return { arch: this.task.arch.id, tensors };
  }

  dispose(): void {
    for (const v of Object.values(this.vars)) v.dispose();
    this.optimizer?.opt.dispose();
    this.optimizer = undefined;
  }
}

function actionPicks(action: Json, arch: string): number[] {
  if (!Array.isArray(action) || !action.every((a) => typeof a === "number" && Number.isInteger(a) && a >= 0)) {
    throw new Error(`scorer ${arch}: an action must be the list of picked item indices (got ${JSON.stringify(action)})`);
  }
  return action as number[];
}
