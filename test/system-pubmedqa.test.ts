import { test } from "node:test";
import assert from "node:assert/strict";
import type { CompoundSystem } from "../src/core/system";
import { OracleStore } from "../src/data/oracle";
import { renderMessages } from "../src/core/signature";
import { SimLM } from "../src/lm/sim/simlm";
import { relevantSentences } from "../src/lm/sim/skills/pubmed";
import type { ChatMeta, ChatRequest, LM } from "../src/core/lm-types";
import { createRuntime } from "../src/repro/runtime";
import { buildPubMedSystem, pubmedqaEntry } from "../src/systems/pubmedqa/index";
import { OFFLINE_PUBMED, PAPER_MODELS, PAPER_PUBMED, pubmedSettings } from "../src/systems/pubmedqa/settings";
import { resolveSettings } from "../src/systems/settings";

const rt = createRuntime({ system: "pubmedqa", world: 0 });
const TEST_SUBSET = rt.data.test.slice(0, 80);

test("settings: SimLM models offline, the paper's seven online by default; other values on request; a bad value is one clear line", () => {
  assert.deepEqual(pubmedSettings(resolveSettings(pubmedqaEntry, "simlm")), OFFLINE_PUBMED);
  assert.deepEqual(pubmedSettings(resolveSettings(pubmedqaEntry, "openai")), PAPER_PUBMED);
  const paper = resolveSettings(pubmedqaEntry, "simlm", { models: "paper", extraction: "answer-line" });
  assert.deepEqual(pubmedSettings(paper), { models: PAPER_MODELS, initialModel: "gpt-4o-mini", extraction: "answer-line" });
  const listed = pubmedSettings(resolveSettings(pubmedqaEntry, "openai", { models: "llama-3-8b, qwen-7b" }));
  assert.deepEqual([listed.models, listed.initialModel], [["llama-3-8b", "qwen-7b"], "llama-3-8b"]);
  assert.throws(() => resolveSettings(pubmedqaEntry, "simlm", { extraction: "last-word" }), /^Error: system "pubmedqa": setting "extraction" must be first-substring or answer-line \(got "last-word"\)$/);
  assert.throws(() => resolveSettings(pubmedqaEntry, "openai", { models: " , " }), /setting "models" must be simlm, paper, or a comma-separated list of model names \(got " , "\)/);
  const system = pubmedqaEntry.build(paper);
  assert.match(system.name, /answer-line extraction/);
  assert.deepEqual(system.component("solver_model_selector").variable, { kind: "model", value: "gpt-4o-mini", choices: [...PAPER_MODELS] });
});

test("the runtime builds the system from the given settings on top of the backend's defaults", () => {
  const given = createRuntime({ system: "pubmedqa", settings: { extraction: "answer-line" } });
  assert.deepEqual(given.settings, { models: "simlm", extraction: "answer-line" });
  assert.match(given.system.name, /answer-line extraction/);
  assert.deepEqual(rt.settings, { models: "simlm", extraction: "first-substring" });
  assert.match(rt.system.name, /first-substring extraction/);
  assert.deepEqual(rt.system.component("context_model_selector").variable, { kind: "model", value: "sim-m", choices: [...OFFLINE_PUBMED.models] });
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
  const system = rt.entry.build(rt.settings);
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
  rt.entry.registerOracles(store, rt.settings);
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

async function scores(change: (system: CompoundSystem) => void): Promise<(number | null)[]> {
  const system = rt.entry.build(rt.settings);
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
