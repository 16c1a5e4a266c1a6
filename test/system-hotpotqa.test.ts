import { test } from "node:test";
import assert from "node:assert/strict";
import type { CompoundSystem } from "../src/core/system";
import { renderMessages } from "../src/core/signature";
import { hotpotqaOracle } from "../src/data/hotpotqa";
import { OracleStore } from "../src/data/oracle";
import { SimLM } from "../src/lm/sim/simlm";
import { entityPhrases } from "../src/lm/sim/skills/hotpotqa";
import { createRuntime } from "../src/repro/runtime";
import { BM25Index, ColBERTv2Retriever, type Passage, type Retriever } from "../src/systems/hotpotqa/bm25";
import { buildHotpotQASystem, hotpotqaEntry } from "../src/systems/hotpotqa/index";
import { pooledBM25, retrieverFor } from "../src/systems/hotpotqa/retrieval";
import { resolveSettings } from "../src/systems/settings";

const rt = createRuntime({ system: "hotpotqa", world: 0 });
const K_SPACE = [1, 5, 10, 25];

test("retriever: chosen by the settings, BM25 over the pooled paragraphs by default", async () => {
  assert.equal(retrieverFor(rt.settings), pooledBM25);
  assert.equal(retrieverFor(resolveSettings(hotpotqaEntry, "openai")), pooledBM25);
  const colbert = retrieverFor(resolveSettings(hotpotqaEntry, "openai", { retriever: "colbert", "colbert-url": "http://localhost:9/wiki" }));
  assert.ok(colbert instanceof ColBERTv2Retriever);
  assert.equal(colbert.url, "http://localhost:9/wiki");
  assert.throws(() => resolveSettings(hotpotqaEntry, "simlm", { retriever: "google" }), /system "hotpotqa": setting "retriever" must be bm25 or colbert \(got "google"\)/);
  assert.throws(() => resolveSettings(hotpotqaEntry, "simlm", { "colbert-url": "localhost:9/wiki" }), /setting "colbert-url" must be an http\(s\) URL \(got "localhost:9\/wiki"\)/);
  const example = rt.data.test[0]!;
  const titles = hotpotqaOracle(example) as { gold_titles: string[] };
  const hits = await pooledBM25.search(titles.gold_titles[0]!, 5);
  assert.equal(hits.length, 5);
  assert.equal(hits[0]!.title, titles.gold_titles[0]);
});

test("the retriever component hands on k 'Title | text' lines and retrieves nothing for empty keywords", async () => {
  const searched: string[] = [];
  const fixture = new BM25Index([
    { title: "Alpha River", text: "The Alpha River flows north." },
    { title: "Beta Town", text: "Beta Town lies on the Alpha River." },
    { title: "Gamma", text: "Gamma is unrelated." },
  ]);
  const retriever: Retriever = {
    search: async (query: string, k: number): Promise<Passage[]> => {
      searched.push(query);
      return fixture.search(query, k);
    },
  };
  const component = buildHotpotQASystem({ retriever }).component("wikipedia_retriever");
  component.update({ kind: "params", value: { k: 5 }, space: { k: K_SPACE } });
  const { outputs } = await component.call({ search_keywords: "Alpha River" }, rt.ctx);
  assert.deepEqual(String(outputs.retrieve_content).split("\n"), ["Alpha River | The Alpha River flows north.", "Beta Town | Beta Town lies on the Alpha River."]);
  const empty = await component.call({ search_keywords: "  " }, rt.ctx);
  assert.equal(empty.outputs.retrieve_content, "");
  assert.deepEqual(searched, ["Alpha River"]);
});

test("entity phrases: capitalized runs with inner connectors, quoted titles and numbers, without leading question words", () => {
  assert.deepEqual(entityPhrases('Which band, formed in 1964 in Paris, France, recorded "the Wall" with University of Idaho Vandals?'), [
    "the Wall",
    "1964",
    "Paris",
    "France",
    "University of Idaho Vandals",
  ]);
});

/** The hints skill's evidence for given retrieved paragraphs (oracle: the example's truth). */
function hintsEvidence(sim: SimLM, exampleId: string, paragraphs: readonly { title: string; text: string }[]): number {
  const messages = renderMessages(
    { instruction: "Write hints.", inputs: [{ name: "rewritten_query" }, { name: "retrieve_content" }], outputs: [{ name: "hints" }] },
    { rewritten_query: "q", retrieve_content: paragraphs.map((p) => `${p.title} | ${p.text}`).join("\n") },
  );
  return sim.assess({ model: "sim-m", messages, temperature: 0 }, { skill: "hotpotqa.hints", exampleId })!.evidence;
}

test("hints evidence rises with the gold paragraphs retrieved and falls with distracting ones", () => {
  const store = new OracleStore();
  rt.entry.registerOracles(store, rt.settings);
  const sim = new SimLM({ world: 0, oracles: store });
  const example = rt.data.test[1]!;
  const own = example.fields.paragraphs as { title: string; sentences: string[] }[];
  const gold = new Set((hotpotqaOracle(example) as { gold_titles: string[] }).gold_titles);
  const asText = (p: { title: string; sentences: string[] }) => ({ title: p.title, text: p.sentences.join("") });
  const golds = own.filter((p) => gold.has(p.title)).map(asText);
  const others = own.filter((p) => !gold.has(p.title)).map(asText);
  const both = hintsEvidence(sim, example.id, golds);
  const one = hintsEvidence(sim, example.id, golds.slice(0, 1));
  const none = hintsEvidence(sim, example.id, others.slice(0, 2));
  const diluted = hintsEvidence(sim, example.id, [...golds, ...others]);
  assert.ok(both > one && one > none, `evidence ${both} / ${one} / ${none}`);
  assert.ok(diluted < both, `ten paragraphs (${diluted}) should distract more than the two gold ones (${both})`);
});

async function scores(change: (system: CompoundSystem) => void): Promise<(number | null)[]> {
  const system = rt.entry.build(rt.settings);
  change(system);
  return (await system.evaluate(rt.data.test, rt.ctx, { repeats: 2 })).perExample;
}

test("each optimizable variable of the HotpotQA system changes its score", async () => {
  const base = await scores(() => undefined);
  const deeper = await scores((s) => s.component("wikipedia_retriever").update({ kind: "params", value: { k: 10 }, space: { k: K_SPACE } }));
  assert.notDeepEqual(deeper, base, "k = 10 left every example's score unchanged");
  const wordy = `${"Read everything below with great care and consider each and every detail. ".repeat(12)}Then reply.`;
  for (const name of ["question_rewriter", "info_extractor", "hint_generator", "answer_generator"]) {
    const changed = await scores((s) => s.component(name).update({ kind: "prompt", instruction: wordy }));
    assert.notDeepEqual(changed, base, `a new ${name} instruction left every example's score unchanged`);
  }
});
