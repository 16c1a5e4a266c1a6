import type { Fields } from "../../core/json";
import { parseRequest, renderReply, type ParsedRequest } from "../../core/signature";
import type { OracleStore } from "../../data/oracle";
import type { ChatMeta, ChatRequest, ChatResponse, LMProvider } from "../types";
import { hash01, hash53 } from "./hash";
import { formatLogit, instructionProfile, instructionTerm, sigmoid } from "./quality";
import { META_SKILLS, SKILLS, type Skill, type SkillCall } from "./skill";
import { countTokens } from "./tokenize";
import { embedText } from "./embed";
import { MODEL_NAMES, modelSpec, SIMLM_VERSION, World } from "./world";
import "./skills/index";

export { SIMLM_VERSION } from "./world";

export interface SimLMOptions {
  world: number;
  oracles: OracleStore;
}

/**
 * SimLM, the seeded surrogate model (shared/design/simlm.md). It reads only the messages and the
 * routing metadata (skill, example id); its reply is a pure function of (world, model, messages,
 * sampling parameters, sample index). It is not a language model and never claims to be one.
 */
export class SimLM implements LMProvider {
  readonly id: string;
  readonly world: World;
  private readonly oracles: OracleStore;

  constructor(options: SimLMOptions) {
    this.world = new World(options.world);
    this.id = this.world.id;
    this.oracles = options.oracles;
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

  /** Synchronous core of `chat` (the HTTP server and benchmarks call it too). */
  complete(request: ChatRequest, meta: ChatMeta): Omit<ChatResponse, "cached"> {
    const spec = modelSpec(request.model);
    const text = this.reply(request, meta);
    const promptTokens = request.messages.reduce((n, m) => n + countTokens(m.content) + 4, 0);
    const completionTokens = countTokens(text);
    return {
      text,
      model: spec.name,
      usage: { promptTokens, completionTokens },
      costUsd: (promptTokens * spec.promptPrice + completionTokens * spec.completionPrice) / 1e6,
      latencyMs: spec.latencyBaseMs + spec.latencyPerTokenMs * completionTokens,
    };
  }

  private reply(request: ChatRequest, meta: ChatMeta): string {
    const parsed = parseRequest(request.messages);
    const [skillName, target] = (meta.skill ?? "").split(":");
    const skill = SKILLS.get(skillName ?? "");
    const metaSkill = META_SKILLS.get(skillName ?? "");
    if (!parsed || (!skill && !metaSkill)) return genericReply(request);
    const temperature = request.temperature ?? 0;
    // At temperature 0 one request has one reply; above it the sample index and seed draw anew.
    const requestKey = `${this.id}|${request.model}|${hash53(JSON.stringify(request.messages))}|${temperature}|${request.topP ?? 1}|${request.seed ?? ""}|${temperature > 0 ? (request.sampleIndex ?? 0) : 0}`;
    const call: SkillCall = {
      request: parsed,
      model: request.model,
      temperature,
      oracle: meta.exampleId ? this.oracles.get(meta.exampleId) : undefined,
      world: this.world,
      u: (purpose) => hash01(requestKey, purpose),
    };
    if (metaSkill) return renderReply(parsed.outputNames, metaSkill.respond(call, target));
    return this.skillReply(skill!, call, parsed);
  }

  private skillReply(skill: Skill, call: SkillCall, parsed: ParsedRequest): string {
    const params = this.world.params(skill.name, skill.domain, skill.failureModes.length);
    const profile = instructionProfile(parsed.instruction);
    let demos = 0;
    let counted = 0;
    for (const d of parsed.demos) {
      if (counted >= 4) break;
      counted++;
      demos += skill.checkDemo?.(d, call) ? 0.25 : -0.1;
    }
    const ability = params.ability[call.model] ?? 0;
    const logit = (ability + instructionTerm(params, profile) + demos + skill.evidence(call)) / (1 + 0.5 * call.temperature);
    let outputs: Fields;
    if (call.u("success") < sigmoid(logit)) outputs = skill.good(call);
    else {
      let r = call.u("failure-mode");
      let mode = skill.failureModes[skill.failureModes.length - 1]!;
      for (let i = 0; i < skill.failureModes.length; i++) {
        r -= params.failureRates[i]!;
        if (r < 0) {
          mode = skill.failureModes[i]!;
          break;
        }
      }
      outputs = skill.fail(mode, call);
    }
    const formatted = call.u("format") < sigmoid(formatLogit(params, profile));
    return formatted ? renderReply(parsed.outputNames, outputs) : unstructured(parsed.outputNames, outputs);
  }
}

/** A format failure: the content without the field markers, as a model that ignored the format writes it. */
function unstructured(names: readonly string[], outputs: Fields): string {
  return names.map((n) => (typeof outputs[n] === "string" ? outputs[n] : JSON.stringify(outputs[n] ?? "")).toString()).join("\n");
}

/** What SimLM says to a request it has no skill for: well-formed, and honest about what it is. */
function genericReply(request: ChatRequest): string {
  const last = request.messages[request.messages.length - 1]?.content ?? "";
  const topic = last.replace(/\s+/g, " ").trim().slice(0, 80);
  return `This is ${SIMLM_VERSION}, a simulated model for offline testing (not a language model). No skill was named for this request, so here is a generic reply to: "${topic}".`;
}
