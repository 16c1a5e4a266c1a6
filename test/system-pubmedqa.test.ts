import { test } from "node:test";
import assert from "node:assert/strict";
import type { CompoundSystem } from "../src/core/system";
import { OracleStore } from "../src/data/oracle";
import { renderMessages } from "../src/core/signature";
import { SimLM } from "../src/lm/sim/simlm";
import { relevantSentences } from "../src/lm/sim/skills/pubmed";
import type { ChatMeta, ChatRequest, LM } from "../src/lm/types";
import { createRuntime } from "../src/repro/runtime";
import { buildPubMedSystem, createPubMedEntry } from "../src/systems/pubmedqa/index";
import { OFFLINE_PUBMED, PAPER_MODELS, pubmedSettingsFromEnv } from "../src/systems/pubmedqa/settings";

const rt = createRuntime({ system: "pubmedqa", world: 0 });
const TEST_SUBSET = rt.data.test.slice(0, 80);

test("settings: SimLM models offline by default, the paper's seven on request, a bad value is one clear line", () => {
  assert.deepEqual(pubmedSettingsFromEnv({}), OFFLINE_PUBMED);
  const paper = pubmedSettingsFromEnv({ OPTIMAS_PUBMED_MODELS: "paper", OPTIMAS_PUBMED_EXTRACTION: "answer-line" });
  assert.deepEqual(paper, { models: PAPER_MODELS, initialModel: "gpt-4o-mini", extraction: "answer-line" });
  assert.deepEqual(pubmedSettingsFromEnv({ OPTIMAS_PUBMED_MODELS: "llama-3-8b, qwen-7b" }).models, ["llama-3-8b", "qwen-7b"]);
  assert.throws(() => pubmedSettingsFromEnv({ OPTIMAS_PUBMED_EXTRACTION: "last-word" }), /OPTIMAS_PUBMED_EXTRACTION="last-word" is not an extraction rule; use first-substring or answer-line/);
  assert.throws(() => pubmedSettingsFromEnv({ OPTIMAS_PUBMED_MODELS: " , " }), /OPTIMAS_PUBMED_MODELS=" , " names no model/);
  const entry = createPubMedEntry(paper);
  assert.match(entry.metric, /answer-line/);
  const selector = entry.build().component("solver_model_selector").variable;
  assert.deepEqual(selector, { kind: "model", value: "gpt-4o-mini", choices: [...PAPER_MODELS] });
});

test("the extraction rule is bound into the metric and recorded in the system's name", async () => {
  const reply = { answer: "The effect was not significant.\nAnswer: yes" };
  const example = { id: "pubmed/test/x", fields: { groundtruth: "yes" } };
  const first = buildPubMedSystem({ ...OFFLINE_PUBMED, extraction: "first-substring" });
  const line = buildPubMedSystem({ ...OFFLINE_PUBMED, extraction: "answer-line" });
  assert.match(first.name, /first-substring/);
  assert.match(line.name, /answer-line/);
  // The reference's rule reads "no" inside "not"; the answer-line rule reads the final line.
  assert.equal(await first.scoreOutputs(reply, example), 0);
  assert.equal(await line.scoreOutputs(reply, example), 1);
  const gold = first.groundTruthOutputs!(example);
  assert.equal(await first.scoreOutputs(gold, example), 1);
  assert.equal(await line.scoreOutputs(gold, example), 1);
});

test("the analyst and the solver call the models their selectors output", async () => {
  const system = rt.entry.build();
  const choices = [...OFFLINE_PUBMED.models];
  system.component("context_model_selector").update({ kind: "model", value: "sim-med", choices });
  system.component("solver_model_selector").update({ kind: "model", value: "sim-xl", choices });
  const seen: [string | undefined, string][] = [];
  const recording: LM = {
    providerId: rt.client.providerId,
    chat: (request: ChatRequest, meta?: ChatMeta) => {
      seen.push([meta?.component, request.model]);
      return rt.client.chat(request, meta);
    },
    embed: (texts) => rt.client.embed(texts),
  };
  const result = await system.run(rt.data.test[0]!, rt.ctx.withLM(recording));
  assert.deepEqual(seen, [["context_analyst", "sim-med"], ["problem_solver", "sim-xl"]]);
  assert.equal(result.context.problem_solver_model, "sim-xl");
});

test("oracles resolve loader ids with the gold label, question and context", () => {
  const store = new OracleStore();
  rt.entry.registerOracles(store);
  const example = rt.data.test[3]!;
  const oracle = store.get(example.id) as Record<string, string>;
  assert.equal(oracle.groundtruth, example.fields.groundtruth);
  assert.equal(oracle.question, example.fields.question);
  assert.equal(oracle.context, example.fields.context);
  assert.equal(store.get("pubmed/test/not-an-id"), undefined);
});

test("the summarize skill extracts the context's sentences that BM25 ranks most relevant", async () => {
  const sim = new SimLM({ world: 0 });
  const example = rt.data.test[0]!;
  const { context, question } = example.fields as { context: string; question: string };
  const relevant = relevantSentences(context, question, 3);
  assert.equal(relevant.length, 3);
  assert.ok(relevant.every((s) => context.includes(s)));
  const messages = renderMessages(
    { instruction: "Summarize.", inputs: [{ name: "context" }, { name: "question" }], outputs: [{ name: "summary" }] },
    { context, question },
  );
  const outcomes = new Map<string, string>();
  for (let s = 0; s < 40; s++) {
    const a = sim.assess({ model: "sim-xl", messages, temperature: 1, sampleIndex: s }, { skill: "pubmed.summarize" })!;
    if (a.outcome === "good") outcomes.set("good", String(a.outputs.summary));
  }
  assert.equal(outcomes.get("good"), relevant.join(" "));
});

async function scores(change: (system: CompoundSystem) => void): Promise<number[]> {
  const system = rt.entry.build();
  change(system);
  return (await system.evaluate(TEST_SUBSET, rt.ctx)).perExample;
}

test("each optimizable variable of the PubMedQA system changes its score", async () => {
  const choices = [...OFFLINE_PUBMED.models];
  const base = await scores(() => undefined);
  const analystModel = await scores((s) => s.component("context_model_selector").update({ kind: "model", value: "sim-xs", choices }));
  const solverModel = await scores((s) => s.component("solver_model_selector").update({ kind: "model", value: "sim-xs", choices }));
  const wordy = `${"Consider the abstract and the question with great care, weighing every sentence. ".repeat(12)}Then answer.`;
  const analystPrompt = await scores((s) => s.component("context_analyst").update({ kind: "prompt", instruction: wordy }));
  const solverPrompt = await scores((s) => s.component("problem_solver").update({ kind: "prompt", instruction: wordy }));
  for (const [name, changed] of Object.entries({ analystModel, solverModel, analystPrompt, solverPrompt })) {
    assert.notDeepEqual(changed, base, `changing ${name} left every example's score unchanged`);
  }
});
