import { Component, type CallEnv, type ComponentSpec } from "./component";
import type { Fields } from "./json";
import { parseReply, renderMessages, type FieldSpec } from "./signature";
import type { Variable } from "./variable";
import { parseRetrySample } from "./sample-indices";


export interface LLMComponentSpec extends Omit<ComponentSpec, "inputFields" | "outputFields" | "variable"> {
  inputs: FieldSpec[];
  outputs: FieldSpec[];
  /** SimLM routing name; real endpoints never see it. */
  skill: string;
  /** The fixed instruction when the variable is not a prompt. */
  instruction?: string;
  /** A `prompt` or `model` variable; omit for a fixed component. */
  variable?: Extract<Variable, { kind: "prompt" } | { kind: "model" }>;
  /** Read the model name from this input field (an upstream model selector decides it). */
  modelInput?: string;
}

/**
 * A component that asks an LM: renders its signature with the effective instruction and demos,
 * calls `ctx.lm.chat` with the effective model and temperature, and parses the reply. A reply the
 * parser cannot read yields empty fields, as a real format failure would, and marks the call
 * record as a parse failure (a legitimate 0 that stages count separately).
 */
export class LLMComponent extends Component {
  readonly inputSpecs: readonly FieldSpec[];
  readonly outputSpecs: readonly FieldSpec[];
  readonly skill: string;
  private readonly fixedInstruction: string;
  private readonly modelInput: string | undefined;

  constructor(spec: LLMComponentSpec) {
    super({
      name: spec.name,
      description: spec.description,
      inputFields: spec.inputs.map((f) => f.name),
      outputFields: spec.outputs.map((f) => f.name),
      variable: spec.variable,
      config: { model: "sim-m", temperature: 0, maxTokens: 512, parseRetries: 2, ...spec.config },
    });
    if (spec.variable?.kind !== "prompt" && spec.instruction === undefined) {
      throw new Error(`LLM component "${spec.name}" needs an instruction (a prompt variable or a fixed instruction)`);
    }
    if (spec.modelInput && !spec.inputs.some((f) => f.name === spec.modelInput)) {
      throw new Error(`LLM component "${spec.name}": modelInput "${spec.modelInput}" is not one of its inputs`);
    }
    this.inputSpecs = spec.inputs;
    this.outputSpecs = spec.outputs;
    this.skill = spec.skill;
    this.fixedInstruction = spec.instruction ?? "";
    this.modelInput = spec.modelInput;
  }

  /** The model this call uses: a model variable, else the model input field, else config.model. */
  private modelFor(inputs: Fields, env: CallEnv): string {
    if (env.variable?.kind === "model") return env.variable.value;
    if (this.modelInput) {
      const m = inputs[this.modelInput];
      if (typeof m !== "string" || m === "") throw new Error(`component "${this.name}": model input "${this.modelInput}" is not a model name`);
      return m;
    }
    return String(env.config.model);
  }

  protected async forward(inputs: Fields, env: CallEnv): Promise<Fields> {
    const prompt = env.variable?.kind === "prompt" ? env.variable : undefined;
    const instruction = prompt ? prompt.instruction : this.fixedInstruction;
    const signatureInputs = this.inputSpecs.filter((f) => f.name !== this.modelInput);
    const messages = renderMessages({ instruction, inputs: signatureInputs, outputs: [...this.outputSpecs] }, inputs, prompt?.demos ?? []);
    const sampleIndex = typeof env.config.sampleIndex === "number" ? env.config.sampleIndex : env.ctx.sampleIndex;
    const request = { model: this.modelFor(inputs, env), messages, temperature: Number(env.config.temperature), maxTokens: Number(env.config.maxTokens) };
    const meta = { skill: this.skill, exampleId: env.ctx.exampleId, component: this.name, stage: env.ctx.stage };
    // A reply the parser cannot read is asked again with a fresh sample index, as DSPy-style
    // adapters do; each retry is a real, budgeted call. At temperature 0 a retry cannot differ.
    const retries = request.temperature > 0 ? Number(env.config.parseRetries) : 0;
    let parsed = parseReply([...this.outputSpecs], (await env.ctx.lm.chat({ ...request, sampleIndex }, meta)).text);
    for (let attempt = 1; parsed.missing.length > 0 && attempt <= retries; attempt++) {
      parsed = parseReply([...this.outputSpecs], (await env.ctx.lm.chat({ ...request, sampleIndex: parseRetrySample(sampleIndex, attempt) }, meta)).text);
    }
    if (parsed.missing.length > 0) env.markUnparsed();
    return parsed.outputs;
  }
}
