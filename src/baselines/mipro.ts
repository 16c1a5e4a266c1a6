import type { Component } from "../core/component";
import { stableStringify } from "../core/json";
import type { Method, MethodArgs, MethodRole } from "../core/method";
import { resolveSettings, type SettingsSpec } from "../core/method-options";
import { shuffled } from "../core/random";
import { mean } from "../core/stats";
import type { CompoundSystem, Example } from "../core/system";
import type { Demo } from "../core/variable";
import { callMeta, PROPOSE, scoredInstructionsText, TIPS } from "../lm/meta-prompts";
import { promptComponents, targetSkill, TRAIN_SAMPLE_INDEX } from "./protocol";
import { GlobalScorer } from "./scorer";
import { patchOverrides, runBaseline, type BaselineSession, type GateResult, type Patches } from "./session";
import { CategoricalTpe } from "./tpe";
import { proposalSample } from "../core/sample-indices";

/**
 * DSPy's MIPROv2 (Opsahl-Ong et al. 2024), in the two configurations the comparison uses:
 * - `mipro`: instructions only, as the paper ran DSPy (few-shot demos disabled);
 * - `mipro-demos`: instructions and bootstrapped demos, MIPRO's full form.
 *
 * 1. Bootstrap (`mipro-demos` only): run the program on training examples; runs with a perfect
 *    global score (DSPy's metric-as-success rule, threshold 1) give each module demonstrations;
 *    several seeded shuffles of them make the module's candidate demo sets (set 0: its demos now).
 * 2. Grounded proposals: for each module, `meta.propose` writes candidate instructions from a
 *    grounding summary — the module's description, a summary of the program (every module with its
 *    fields) and of the training data (size, fields, sample inputs), and with demos an example of
 *    the module's own inputs and outputs — plus a random tip. Candidate 0 is the current one.
 * 3. Surrogate-guided search: a TPE over the per-module choices; each trial scores the suggested
 *    combination with the global metric on a random minibatch of the validation subset; every
 *    `fullEvalEvery` trials the combination with the best average minibatch score is scored on
 *    the whole validation subset and kept if it beats the best so far (the shared gate).
 * Adapted: the data summary is computed, not written by an LLM (no extra calls); proposals see the
 * current instruction with its validation score, as every proposer here does.
 */

export interface MiproSettings {
  /** Instruction candidates per module, the current one included. */
  instructionCandidates: number;
  /** Demo sets per module, its current demos included (`mipro-demos`). */
  demoSets: number;
  /** Demonstrations per demo set. */
  maxDemos: number;
  /** Training examples run to bootstrap demonstrations from (`mipro-demos`). */
  bootstrapSize: number;
  /** Search trials, each scored on a validation minibatch of `minibatchSize`. */
  trials: number;
  minibatchSize: number;
  /** Every this many trials the best-averaging combination faces the full validation gate. */
  fullEvalEvery: number;
  /** Uniform draws before the TPE models the observations. */
  startupTrials: number;
}

export const MIPRO_SETTINGS: SettingsSpec<MiproSettings> = {
  schema: {
    instructionCandidates: { type: "integer", min: 1 },
    demoSets: { type: "integer", min: 1 },
    maxDemos: { type: "integer", min: 0 },
    bootstrapSize: { type: "integer", min: 0 },
    trials: { type: "integer", min: 1 },
    minibatchSize: { type: "integer", min: 1 },
    fullEvalEvery: { type: "integer", min: 1 },
    startupTrials: { type: "integer", min: 0 },
  },
  presets: {
    quick: { instructionCandidates: 8, demoSets: 4, maxDemos: 4, bootstrapSize: 20, trials: 30, minibatchSize: 10, fullEvalEvery: 6, startupTrials: 6 },
    paper: { instructionCandidates: 12, demoSets: 6, maxDemos: 4, bootstrapSize: 40, trials: 60, minibatchSize: 10, fullEvalEvery: 10, startupTrials: 10 },
  },
};

/** A run counts as a demonstration when its global score is perfect. */
const SUCCESS_SCORE = 1;

/** One module's candidates: instructions (index 0: current) and, with demos, demo sets (index 0: current). */
interface ModuleCandidates {
  component: string;
  instructions: string[];
  demoSets: Demo[][] | null;
}

function programSummary(system: CompoundSystem): string {
  return system.components.map((c, i) => `${i + 1}. ${c.name} (${c.inputFields.join(", ")} → ${c.outputFields.join(", ")}): ${c.description}`).join("\n");
}

function clip(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, chars)}…`;
}

function dataSummary(system: CompoundSystem, train: readonly Example[], sample: readonly Example[]): string {
  const rows = sample.map((e) => `- ${system.requiredInputFields.map((f) => `${f}: ${clip(String(e.fields[f] ?? ""), 160)}`).join("; ")}`);
  return `${train.length} training examples; the program reads ${system.requiredInputFields.join(", ")}. Sample inputs:\n${rows.join("\n")}`;
}

function demoText(demo: Demo): string {
  const side = (fields: Record<string, unknown>) => Object.entries(fields).map(([k, v]) => `${k}: ${clip(typeof v === "string" ? v : JSON.stringify(v), 200)}`).join("; ");
  return `inputs: ${side(demo.inputs)}\noutputs: ${side(demo.outputs)}`;
}

/** Per module, demo sets drawn from the training runs whose global score is perfect. */
async function bootstrapDemoSets(session: BaselineSession, targets: readonly Component[], settings: MiproSettings): Promise<Map<string, Demo[][]>> {
  const { system, ctx, train } = session.args;
  const scorer = new GlobalScorer(system, ctx, { sampleIndex: TRAIN_SAMPLE_INDEX, stage: "optimize", concurrency: session.protocol.concurrency }, session.failures.collection);
  const runs = await scorer.traces(shuffled(train, ctx.rng("mipro/bootstrap")).slice(0, settings.bootstrapSize));
  const successes = runs.filter((r) => r.result !== undefined && r.score >= SUCCESS_SCORE);
  const sets = new Map<string, Demo[][]>();
  for (const component of targets) {
    const current = component.variable?.kind === "prompt" ? (component.variable.demos ?? []) : [];
    const seen = new Set([stableStringify(current)]);
    const candidates: Demo[][] = [current];
    for (let s = 1; s < settings.demoSets; s++) {
      const demos = shuffled(successes, ctx.rng(`mipro/demo-set/${s}`))
        .slice(0, settings.maxDemos)
        .map((r) => r.result!.trace.find((t) => t.component === component.name)!)
        .map((record) => ({ inputs: record.inputs, outputs: record.outputs }));
      const key = stableStringify(demos);
      if (demos.length > 0 && !seen.has(key)) {
        seen.add(key);
        candidates.push(demos);
      }
    }
    sets.set(component.name, candidates);
  }
  return sets;
}

async function proposeInstructions(session: BaselineSession, component: Component, grounding: string, settings: MiproSettings): Promise<string[]> {
  if (component.variable?.kind !== "prompt") throw new Error(`mipro: component "${component.name}" has no prompt variable`);
  const current = component.variable.instruction;
  const rng = session.args.ctx.rng(`mipro/tips/${component.name}`);
  const instructions = [current];
  for (let i = 1; i < settings.instructionCandidates; i++) {
    const reply = await callMeta(
      PROPOSE,
      { component_description: grounding, scored_instructions: scoredInstructionsText([{ instruction: current, score: session.bestScore }]), tip: TIPS[Math.floor(rng() * TIPS.length)]! },
      { lm: session.args.ctx.lm, model: session.protocol.metaModel, skill: "meta.propose", targetSkill: targetSkill(component), temperature: 0.7, sampleIndex: proposalSample(0, i), stage: "optimize" },
    );
    const instruction = String(reply.proposed_instruction ?? "").trim();
    if (instruction !== "" && !instructions.includes(instruction)) instructions.push(instruction);
  }
  return instructions;
}

/** The patches a search point stands for: one instruction (and demo set) choice per module. */
function patchesAt(modules: readonly ModuleCandidates[], point: readonly number[]): Patches {
  const patches: Patches = {};
  let d = 0;
  for (const m of modules) {
    const instruction = m.instructions[point[d++]!]!;
    patches[m.component] = m.demoSets ? { kind: "prompt", instruction, demos: m.demoSets[point[d++]!]! } : { kind: "prompt", instruction };
  }
  return patches;
}

async function runMipro(session: BaselineSession, args: MethodArgs, settings: MiproSettings, withDemos: boolean): Promise<void> {
  const { system, ctx, train } = args;
  const targets = promptComponents(system);
  const demoSets = withDemos ? await bootstrapDemoSets(session, targets, settings) : undefined;
  const shared = `The program it belongs to:\n${programSummary(system)}\n\nThe data:\n${dataSummary(system, train, shuffled(train, ctx.rng("mipro/data-view")).slice(0, 3))}`;
  const modules: ModuleCandidates[] = [];
  for (const component of targets) {
    const sets = demoSets?.get(component.name) ?? null;
    const example = sets?.[1]?.[0];
    const grounding = `${component.description}\n\n${shared}${example ? `\n\nAn example of this module's inputs and outputs:\n${demoText(example)}` : ""}`;
    modules.push({ component: component.name, instructions: await proposeInstructions(session, component, grounding, settings), demoSets: sets });
  }
  session.note("candidates", modules);

  const sizes = modules.flatMap((m) => (m.demoSets ? [m.instructions.length, m.demoSets.length] : [m.instructions.length]));
  const tpe = new CategoricalTpe({ sizes, startupTrials: settings.startupTrials });
  const rng = ctx.rng("mipro/search");
  const averages = new Map<string, { point: number[]; scores: number[] }>();
  // The current program (every choice 0) was scored on the whole validation subset at the start.
  const fullyEvaluated = new Set([stableStringify(sizes.map(() => 0))]);
  for (let trial = 1; trial <= settings.trials; trial++) {
    const point = tpe.suggest(rng);
    const minibatch = shuffled(session.val, rng).slice(0, settings.minibatchSize);
    // One pass, as DSPy scores minibatches; the full evaluation below uses every validation pass.
    const score = (await session.valScorer.evaluate(minibatch, patchOverrides(patchesAt(modules, point)), 1)).mean;
    tpe.observe(point, score);
    const key = stableStringify(point);
    averages.set(key, { point, scores: [...(averages.get(key)?.scores ?? []), score] });
    let full: ({ point: number[] } & GateResult) | undefined;
    if (trial % settings.fullEvalEvery === 0 || trial === settings.trials) {
      const pending = [...averages.entries()].filter(([k]) => !fullyEvaluated.has(k));
      if (pending.length > 0) {
        const [bestKey, best] = pending.reduce((b, e) => (mean(e[1].scores) > mean(b[1].scores) ? e : b));
        fullyEvaluated.add(bestKey);
        full = { point: best.point, ...(await session.gate(patchesAt(modules, best.point))) };
      }
    }
    const verdict = full ? `; full validation ${full.valAfter.toFixed(4)} ${full.accepted ? "accepted" : "rejected"}` : "";
    session.step({ trial, point, minibatch: minibatch.map((e) => e.id), score, ...(full ? { fullEval: full } : {}) }, `trial ${trial} ${JSON.stringify(point)}: minibatch ${score.toFixed(4)}${verdict}`);
  }
}

function miproMethod(id: string, role: MethodRole, title: string, source: string, withDemos: boolean): Method<MiproSettings> {
  return {
    id,
    title,
    role,
    source,
    notApplicable: (system) => (promptComponents(system).length === 0 ? "the system has no prompt variable" : null),
    resolveOptions: (preset, options) => resolveSettings(id, MIPRO_SETTINGS, preset, options),
    run: (args) => runBaseline(id, args, (session) => runMipro(session, session.args, args.options, withDemos)),
  };
}

export const miproMethods: readonly Method[] = [
  miproMethod("mipro", "baseline", "DSPy MIPRO (instructions)", "DSPy MIPROv2 (Opsahl-Ong et al. 2024), instructions only as in the paper: grounded proposals, TPE search on validation minibatches", false),
  miproMethod("mipro-demos", "extra-baseline", "DSPy MIPRO (instructions + demos)", "DSPy MIPROv2 (Opsahl-Ong et al. 2024) with bootstrapped demos as a second per-module choice", true),
];
