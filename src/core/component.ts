import type { Fields, Json } from "./json";
import { cloneJson } from "./json";
import type { RunContext, ValueSelector } from "./context";
import { applyPatch, enumerateSpace, type Variable, type VariablePatch } from "./variable";

export interface ComponentSpec {
  name: string;
  /** What the component does; it also identifies the component to its Local Reward Function. */
  description: string;
  /** Context keys it reads, in the order prompts and reward inputs list them. */
  inputFields: string[];
  outputFields: string[];
  /** The one optimizable variable; absent means the component is fixed. */
  variable?: Variable;
  /** Runtime settings that are not optimized (model, temperature, …); keys are fixed at construction. */
  config?: Record<string, Json>;
}

/** What `forward` sees: the effective variable and config after scoped overrides. */
export interface CallEnv {
  variable: Variable | undefined;
  config: Record<string, Json>;
  ctx: RunContext;
  component: string;
  /** Says that the model's reply could not be parsed: the call's outputs are empty, a legitimate 0 that is counted. */
  markUnparsed(): void;
}

/** The record of one component call, returned with its outputs (never stored on the component). */
export interface CallRecord {
  component: string;
  inputs: Fields;
  outputs: Fields;
  variable: Variable | null;
  /** True when the component's reply could not be parsed (its outputs are empty). */
  parseFailed?: boolean;
}

export abstract class Component {
  readonly name: string;
  readonly description: string;
  readonly inputFields: readonly string[];
  readonly outputFields: readonly string[];
  private currentVariable: Variable | undefined;
  private currentConfig: Record<string, Json>;

  constructor(spec: ComponentSpec) {
    if (!/^[A-Za-z_][\w.-]*$/.test(spec.name)) throw new Error(`component name "${spec.name}" must be an identifier`);
    if (spec.outputFields.length === 0) throw new Error(`component "${spec.name}" declares no output fields`);
    this.name = spec.name;
    this.description = spec.description;
    this.inputFields = [...spec.inputFields];
    this.outputFields = [...spec.outputFields];
    this.currentVariable = spec.variable;
    this.currentConfig = { ...spec.config };
  }

  get variable(): Variable | undefined {
    return this.currentVariable;
  }

  get config(): Readonly<Record<string, Json>> {
    return this.currentConfig;
  }

  get optimizable(): boolean {
    return this.currentVariable !== undefined;
  }

  protected abstract forward(inputs: Fields, env: CallEnv): Promise<Fields>;

  /** Replaces the variable permanently (an accepted optimizer step or a loaded state dict). */
  update(variable: Variable): void {
    if (!this.currentVariable) throw new Error(`component "${this.name}" has no optimizable variable`);
    if (variable.kind !== this.currentVariable.kind) {
      throw new Error(`component "${this.name}" holds a "${this.currentVariable.kind}" variable, not "${variable.kind}"`);
    }
    this.currentVariable = variable;
    this.onVariableUpdate(variable);
  }

  updateConfig(partial: Record<string, Json>): void {
    this.currentConfig = { ...this.currentConfig, ...this.checkConfigKeys(partial) };
  }

  /** Hook for components that rebuild state from their variable (local models). */
  protected onVariableUpdate(_variable: Variable): void {}

  private checkConfigKeys(partial: Record<string, Json>): Record<string, Json> {
    for (const key of Object.keys(partial)) {
      if (!(key in this.currentConfig)) {
        throw new Error(`component "${this.name}" has no config key "${key}" (it has: ${Object.keys(this.currentConfig).join(", ") || "none"})`);
      }
    }
    return partial;
  }

  /** The variable and config in effect under `ctx`'s overrides. */
  resolve(ctx: RunContext): { variable: Variable | undefined; config: Record<string, Json> } {
    const o = ctx.overrides[this.name];
    if (!o) return { variable: this.currentVariable, config: this.currentConfig };
    let variable = this.currentVariable;
    if (o.variable) {
      if (!variable) throw new Error(`override for "${this.name}" sets a variable, but the component has none`);
      variable = applyPatch(variable, o.variable);
    }
    const config = o.config ? { ...this.currentConfig, ...this.checkConfigKeys(o.config) } : this.currentConfig;
    return { variable, config };
  }

  /** Runs every value of the search space on this input and keeps the one the selector picks. */
  private async selectPerInput(
    inputs: Fields,
    variable: Extract<Variable, { kind: "params" } | { kind: "model" }>,
    config: Record<string, Json>,
    ctx: RunContext,
    selector: ValueSelector,
  ): Promise<{ outputs: Fields; used: Variable; parseFailed: boolean }> {
    const patches: VariablePatch[] =
      variable.kind === "params"
        ? enumerateSpace(variable.space).map((value) => ({ kind: "params", value }))
        : variable.choices.map((value) => ({ kind: "model", value }));
    const candidates: { patch: VariablePatch; outputs: Fields; variable: Variable; parseFailed: boolean }[] = [];
    for (const patch of patches) {
      const v = applyPatch(variable, patch);
      candidates.push({ patch, variable: v, ...(await this.forwardOnce(inputs, v, config, ctx)) });
    }
    const chosen = candidates[await selector(inputs, candidates)];
    if (!chosen) throw new Error(`the per-input selector of "${this.name}" returned no valid candidate index`);
    return { outputs: chosen.outputs, used: chosen.variable, parseFailed: chosen.parseFailed };
  }

  private async forwardOnce(inputs: Fields, variable: Variable | undefined, config: Record<string, Json>, ctx: RunContext): Promise<{ outputs: Fields; parseFailed: boolean }> {
    let parseFailed = false;
    const outputs = await this.forward(inputs, { variable, config, ctx, component: this.name, markUnparsed: () => (parseFailed = true) });
    return { outputs, parseFailed };
  }

  /** Calls the component on exactly its input fields and returns outputs with the call record. */
  async call(inputs: Fields, ctx: RunContext): Promise<{ outputs: Fields; record: CallRecord }> {
    const picked: Fields = {};
    for (const f of this.inputFields) {
      if (!(f in inputs)) throw new Error(`component "${this.name}" needs input field "${f}", which is missing`);
      picked[f] = inputs[f]!;
    }
    const { variable, config } = this.resolve(ctx);
    const selector = this.name in ctx.selectors ? ctx.selectors[this.name] : undefined;
    const { outputs, used, parseFailed } =
      selector !== undefined && (variable?.kind === "params" || variable?.kind === "model")
        ? await this.selectPerInput(picked, variable, config, ctx, selector)
        : { ...(await this.forwardOnce(picked, variable, config, ctx)), used: variable };
    for (const f of this.outputFields) {
      if (!(f in outputs)) throw new Error(`component "${this.name}" returned no "${f}" (declared output)`);
    }
    const record: CallRecord = { component: this.name, inputs: picked, outputs, variable: used ? snapshot(used) : null, ...(parseFailed ? { parseFailed } : {}) };
    ctx.tracer.event("component", { component: this.name, exampleId: ctx.exampleId, stage: ctx.stage });
    return { outputs, record };
  }
}

// Weights are large and already stored in state dicts; a trace keeps only their architecture id.
function snapshot(variable: Variable): Variable {
  if (variable.kind === "weights") return { kind: "weights", value: { arch: variable.value.arch, tensors: {} } };
  return cloneJson(variable as unknown as Json) as unknown as Variable;
}

/** A component defined by a plain function (tools, retrievers, deterministic glue). */
export class FunctionComponent extends Component {
  private readonly fn: (inputs: Fields, env: CallEnv) => Promise<Fields> | Fields;
  constructor(spec: ComponentSpec, fn: (inputs: Fields, env: CallEnv) => Promise<Fields> | Fields) {
    super(spec);
    this.fn = fn;
  }
  protected async forward(inputs: Fields, env: CallEnv): Promise<Fields> {
    return this.fn(inputs, env);
  }
}
