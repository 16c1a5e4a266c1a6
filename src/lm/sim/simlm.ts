import type { Fields } from "../../core/json";
import { parseRequest, type ParsedRequest } from "../../core/signature";
import { OracleStore } from "../../data/oracle";
import type { ChatMeta, ChatRequest, ChatResponse, LMProvider } from "../../core/lm-types";
import { embedText } from "./embed";
import { Draws, hash01, hashMix, hashString } from "./hash";
import { MODEL_NAMES, modelSpec } from "./models";
import { demoTerm, flatten, formatTerm, instructionTerm, sigmoid } from "./quality";
import { genericReply, malformedReply, wellFormedReply } from "./reply";
import type { Skill, SkillCall } from "./skill";
import { genericSkill, genericSkillName, servesGeneric } from "./skills/generic";
import { BUILTIN_SKILLS } from "./skills/index";
import { META_SKILLS } from "./skills/meta";
import { countTokens, truncateToTokens } from "./tokenize";
import { SIMLM_VERSION, type SimLMVersion } from "./version";
import { World } from "./world";

export { SIMLM_VERSION, SIMLM_VERSIONS, parseSimLMVersion, type SimLMVersion } from "./version";

/**
 * SimLM, the offline surrogate model (shared/design/simlm.md). It is not a language model.
 *
 * `chat` reads only the messages (through the signature adapter's inverse, `parseRequest`) and the
 * routing metadata: `meta.skill` picks the skill (`meta.propose:<targetSkill>` and the like for
 * meta-skills) and `meta.exampleId` the oracle. The reply is a pure function of (world, model,
 * messages, sampling parameters, sample index): at temperature 0 one request has one reply; above
 * 0 the sample index and the request seed enter the draws. An absent temperature means 1, as on
 * OpenAI's API. Requests without a known skill or not in signature format get a generic reply;
 * an unknown model is an error naming the models.
 *
 * One call: quality q = sigmoid(logit) from quality.ts; success iff u < q with u a hash draw; on
 * failure a mode drawn by the world's rates; format compliance drawn apart from the format logit.
 * Usage from tokenize.ts, cost and simulated latency from the model table (models.ts).
 *
 * simlm@2 (docs/simlm.md) renders graded outputs: a success comes in one of the skill's correct
 * surface forms (the good output twice as likely as each variant), and a failure is, with
 * probability 0.35, the skill's near miss (`partial`) when its metric grades one. A request whose
 * skill SimLM does not know, but whose example has an oracle object, gets the generic skill
 * (skills/generic.ts): any user's component runs offline without SimLM code.
 */

export interface SimLMOptions {
  world: number;
  /** The prior and rendering (default: SIMLM_VERSION, the newest). */
  version?: SimLMVersion;
  /** Where example ids resolve to their oracles (default: an empty store). */
  oracles?: OracleStore;
  /** Skills beyond the built-in ones (skills/index.ts), e.g. a test's own. */
  skills?: readonly Skill[];
}

/** Everything SimLM decided for one skill call (for tests, diagnostics and notebooks). */
export interface CallAssessment {
  skill: string;
  ability: number;
  instruction: number;
  demos: number;
  evidence: number;
  /** Logit after temperature flattening, and q = sigmoid(logit). */
  logit: number;
  q: number;
  formatQ: number;
  success: boolean;
  formatOk: boolean;
  /** "good", "partial" (simlm@2's near miss) or the failure mode rendered. */
  outcome: string;
  outputs: Fields;
  text: string;
}

const SALT_QUALITY = 1;
const SALT_FORMAT = 2;
const SALT_MODE = 3;
const SALT_RENDER = 4;
const SALT_LATENCY = 5;
const SALT_PARTIAL = 6;
const SALT_VARIANT = 7;
/** simlm@2: the share of failures that are near misses, for skills whose metric grades one (docs/simlm.md). */
const PARTIAL_SHARE = 0.35;
/** simlm@2: the good output's weight among the correct forms, each variant weighing 1. */
const MODAL_FORM_WEIGHT = 2;
/** Tokens a chat format spends around each message and to prime the reply. */
const TOKENS_PER_MESSAGE = 4;
const TOKENS_PRIMING = 2;

function splitSkill(name: string | undefined): { base: string; target: string | undefined } {
  const s = name ?? "";
  const colon = s.indexOf(":");
  return colon < 0 ? { base: s, target: undefined } : { base: s.slice(0, colon), target: s.slice(colon + 1) };
}

interface Rendered {
  outcome: string;
  outputs: Fields;
}

/** A failure mode drawn by the world's rates. */
function failureMode(skill: Skill, rates: readonly number[], hash: number): string {
  return skill.failureModes[new Draws(hashMix(hash, SALT_MODE)).weighted(rates)]!;
}

/** simlm@1: the good output, or a failure mode. */
function renderV1(skill: Skill, success: boolean, rates: readonly number[], analysis: unknown, call: SkillCall, hash: number): Rendered {
  if (success) return { outcome: "good", outputs: skill.good(analysis, call) };
  const mode = failureMode(skill, rates, hash);
  return { outcome: mode, outputs: skill.failure(mode, analysis, call) };
}

/** simlm@2: one of the correct forms, a near miss, or a failure mode. */
function renderV2(skill: Skill, success: boolean, rates: readonly number[], analysis: unknown, call: SkillCall, hash: number): Rendered {
  if (success) {
    const good = skill.good(analysis, call);
    const forms = [good, ...(skill.variants?.(analysis, call) ?? [])];
    const pick = new Draws(hashMix(hash, SALT_VARIANT)).weighted(forms.map((_, i) => (i === 0 ? MODAL_FORM_WEIGHT : 1)));
    return { outcome: "good", outputs: forms[pick]! };
  }
  const partial = skill.partial && hash01(hash, SALT_PARTIAL) < PARTIAL_SHARE ? skill.partial(analysis, call) : undefined;
  if (partial) return { outcome: "partial", outputs: partial };
  const mode = failureMode(skill, rates, hash);
  return { outcome: mode, outputs: skill.failure(mode, analysis, call) };
}

export class SimLM implements LMProvider {
  readonly id: string;
  readonly world: World;
  readonly version: SimLMVersion;
  private readonly oracles: OracleStore;
  private readonly skills = new Map<string, Skill>();
  /** simlm@2's generic skills, by name (one per output signature). */
  private readonly generic = new Map<string, Skill>();

  constructor(options: SimLMOptions) {
    this.version = options.version ?? SIMLM_VERSION;
    this.world = new World(options.world, this.version);
    this.id = this.world.id;
    this.oracles = options.oracles ?? new OracleStore();
    for (const s of [...BUILTIN_SKILLS, ...(options.skills ?? [])]) {
      if (this.skills.has(s.name)) throw new Error(`SimLM skill "${s.name}" is defined twice`);
      this.skills.set(s.name, s);
    }
  }

  async models(): Promise<string[]> {
    return [...MODEL_NAMES];
  }

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map(embedText);
  }

  async chat(request: ChatRequest, meta: ChatMeta): Promise<Omit<ChatResponse, "cached">> {
    return this.complete(request, meta);
  }

  /** The skill a name routes to (meta-skill names and unknown names give undefined). */
  skill(name: string): Skill | undefined {
    return this.skills.get(name);
  }

  /** Synchronous core of `chat`. */
  complete(request: ChatRequest, meta: ChatMeta = {}): Omit<ChatResponse, "cached"> {
    const spec = modelSpec(request.model);
    const hash = this.requestHash(request);
    let text = this.reply(request, meta, hash);
    if (request.maxTokens !== undefined && request.maxTokens >= 0) text = truncateToTokens(text, request.maxTokens);
    let promptTokens = TOKENS_PRIMING;
    for (const m of request.messages) promptTokens += countTokens(m.content) + TOKENS_PER_MESSAGE;
    const completionTokens = countTokens(text);
    const jitter = 0.85 + 0.3 * hash01(hash, SALT_LATENCY);
    return {
      text,
      model: spec.name,
      usage: { promptTokens, completionTokens },
      costUsd: (promptTokens * spec.promptPrice + completionTokens * spec.completionPrice) / 1e6,
      latencyMs: Math.round(jitter * (spec.firstTokenMs + (spec.perKiloPromptMs * promptTokens) / 1000 + spec.perTokenMs * completionTokens) * 10) / 10,
    };
  }

  /**
   * The quality breakdown and outcome of a skill call, or undefined when the request would get a
   * generic or meta-skill reply.
   */
  assess(request: ChatRequest, meta: ChatMeta = {}): CallAssessment | undefined {
    modelSpec(request.model);
    const parsed = parseRequest(request.messages);
    const skill = parsed && !META_SKILLS.has(splitSkill(meta.skill).base) ? this.skillFor(parsed, meta) : undefined;
    return skill && parsed ? this.assessSkill(skill, parsed, request, meta, this.requestHash(request)) : undefined;
  }

  /** The skill serving a request: the named one, else (simlm@2) the generic skill when the example has an oracle object. */
  private skillFor(parsed: ParsedRequest, meta: ChatMeta): Skill | undefined {
    const named = this.skills.get(meta.skill ?? "");
    if (named || this.version === "simlm@1" || meta.exampleId === undefined) return named;
    if (!servesGeneric(this.oracles.get(meta.exampleId))) return undefined;
    const name = genericSkillName(parsed);
    let skill = this.generic.get(name);
    if (!skill) this.generic.set(name, (skill = genericSkill(parsed)));
    return skill;
  }

  /** The draw key: world, model, messages and sampling parameters (sample index and seed above T = 0). */
  private requestHash(request: ChatRequest): number {
    let h = hashString(request.model, hashString(this.id));
    for (const m of request.messages) h = hashString(m.content, hashString(m.role, h));
    const temperature = request.temperature ?? 1;
    h = hashMix(hashMix(h, temperature), request.topP ?? 1);
    if (temperature > 0) h = hashMix(hashMix(h, request.sampleIndex ?? 0), request.seed ?? 0);
    return h;
  }

  private reply(request: ChatRequest, meta: ChatMeta, hash: number): string {
    const parsed = parseRequest(request.messages);
    if (!parsed) return genericReply(request.messages, null, this.version);
    const { base, target } = splitSkill(meta.skill);
    const metaSkill = META_SKILLS.get(base);
    if (metaSkill) {
      const targetSkill = target === undefined ? undefined : this.skills.get(target);
      const outputs = metaSkill.respond({
        request: parsed,
        inputs: parsed.inputs,
        model: request.model,
        temperature: request.temperature ?? 1,
        draws: new Draws(hashMix(hash, SALT_RENDER)),
        world: this.world,
        target: targetSkill,
      });
      return wellFormedReply(parsed, outputs);
    }
    const skill = this.skillFor(parsed, meta);
    if (!skill) return genericReply(request.messages, parsed, this.version);
    return this.assessSkill(skill, parsed, request, meta, hash).text;
  }

  private assessSkill(skill: Skill, parsed: ParsedRequest, request: ChatRequest, meta: ChatMeta, hash: number): CallAssessment {
    const params = this.world.params(skill);
    const temperature = request.temperature ?? 1;
    const call: SkillCall = {
      request: parsed,
      inputs: parsed.inputs,
      oracle: meta.exampleId === undefined ? undefined : this.oracles.get(meta.exampleId),
      model: request.model,
      temperature,
      draws: new Draws(hashMix(hash, SALT_RENDER)),
    };
    const analysis = skill.analyze(call);
    const ability = params.ability[request.model]!;
    const instruction = instructionTerm(params, parsed.instruction);
    const demos = demoTerm(parsed.demos.map((d) => skill.checkDemo(d)));
    const evidence = skill.evidence(analysis, call);
    const logit = flatten(ability + instruction + demos + evidence, temperature);
    const q = sigmoid(logit);
    const success = hash01(hash, SALT_QUALITY) < q;
    const { outcome, outputs } = this.version === "simlm@1" ? renderV1(skill, success, params.failureRates, analysis, call, hash) : renderV2(skill, success, params.failureRates, analysis, call, hash);
    const formatQ = sigmoid(flatten(formatTerm(params, parsed.instruction), temperature));
    const formatOk = hash01(hash, SALT_FORMAT) < formatQ;
    const text = formatOk
      ? wellFormedReply(parsed, outputs)
      : skill.formatFailure
        ? skill.formatFailure(outputs, call)
        : malformedReply(parsed, outputs, call.draws);
    return { skill: skill.name, ability, instruction, demos, evidence, logit, q, formatQ, success, formatOk, outcome, outputs, text };
  }
}
