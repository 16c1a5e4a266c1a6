import { Component, type CallEnv } from "../../core/component";
import type { Fields } from "../../core/json";
import type { Policy, TrainableComponent } from "../../core/policy";
import type { WeightsValue } from "../../core/variable";
import { loadTf, type Tf } from "../../reward/backend";
import { initialWeights, ScorerPolicy, type ItemTask } from "./scorer";

export interface LocalModelSpec<Item> {
  name: string;
  description: string;
  inputFields: string[];
  outputFields: string[];
  task: ItemTask<Item>;
  /** Seeds the untrained weights (the same seed gives the same model). */
  initSeed: string;
  /** Sampling temperature (the reference samples its local models at 0.6). */
  temperature: number;
}

// Live models kept per component: the current weights plus a few candidates under evaluation.
const CACHED_MODELS = 4;

/**
 * A component whose variable is the `weights` of a small TensorFlow.js scorer (scorer.ts). Each
 * call samples from the policy at the component's temperature with a stream named after the
 * component, the example and the sample index, so repeated samples differ and runs are
 * deterministic. Live tfjs models are cached per weights value (an evaluation reuses one model
 * for every call instead of rebuilding it).
 */
export class LocalModelComponent<Item> extends Component implements TrainableComponent {
  private readonly task: ItemTask<Item>;
  private readonly live = new Map<WeightsValue, ScorerPolicy<Item>>();

  constructor(spec: LocalModelSpec<Item>) {
    super({
      name: spec.name,
      description: spec.description,
      inputFields: spec.inputFields,
      outputFields: spec.outputFields,
      variable: { kind: "weights", value: initialWeights(spec.task.arch, spec.initSeed) },
      config: { temperature: spec.temperature },
    });
    this.task = spec.task;
  }

  /** Training samples at the component's temperature; a greedy (temperature 0) component trains at 1, as a greedy policy has no gradient. */
  async policyFrom(weights: WeightsValue): Promise<Policy> {
    const { tf } = await loadTf();
    const temperature = Number(this.config.temperature);
    return new ScorerPolicy(tf, this.task, weights, temperature > 0 ? temperature : 1, `component "${this.name}"`);
  }

  protected async forward(inputs: Fields, env: CallEnv): Promise<Fields> {
    if (env.variable?.kind !== "weights") throw new Error(`component "${this.name}" expects a weights variable`);
    const { tf } = await loadTf();
    // No await from here on: a cached model cannot be evicted between lookup and use.
    const model = this.model(tf, env.variable.value);
    const rng = env.ctx.rng(`${this.name}/${env.ctx.exampleId ?? "no-example"}/${env.ctx.sampleIndex}`);
    return model.sampleAt(inputs, rng, Number(env.config.temperature)).outputs;
  }

  private model(tf: Tf, weights: WeightsValue): ScorerPolicy<Item> {
    const known = this.live.get(weights);
    if (known) {
      this.live.delete(weights);
      this.live.set(weights, known);
      return known;
    }
    // Run-time calls pass their own temperature to sampleAt; the policy's training temperature is unused here.
    const model = new ScorerPolicy(tf, this.task, weights, 1, `component "${this.name}"`);
    this.live.set(weights, model);
    if (this.live.size > CACHED_MODELS) {
      const [oldest, evicted] = this.live.entries().next().value as [WeightsValue, ScorerPolicy<Item>];
      this.live.delete(oldest);
      evicted.dispose();
    }
    return model;
  }
}
