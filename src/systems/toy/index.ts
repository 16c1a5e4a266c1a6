import { FunctionComponent } from "../../core/component";
import { LLMComponent } from "../../core/llm-component";
import { CompoundSystem } from "../../core/system";
import { paramValue } from "../../core/variable";
import { retrievalTokens } from "../../data/text";
import { loadToyData, registerToyOracles } from "../../data/toy";
import { tokenF1 } from "../../metrics/f1";
import type { SystemEntry } from "../registry";
import { OFFLINE_TOY, TOY_SETTINGS, toySettings, type ToySettings } from "./settings";

/**
 * The tiny system used by tests, the quickstart notebook and teaching: retriever → extractor →
 * answerer, one optimizable variable kind each — the retriever's depth k (`params`), the
 * extractor's instruction (`prompt`, SimLM skill `toy.extract`) and the answerer's model
 * (`model`, skill `toy.answer`). Metric: token F1 of the answer.
 */

export const TOY_K_SPACE = [1, 2, 3, 5, 8];

/** The k sentences of the document with the most question words (stopwords aside); ties keep document order. */
export function retrieve(question: string, document: string, k: number): string[] {
  const asked = new Set(retrievalTokens(question));
  const sentences = (document.match(/[^.!?]+[.!?]/g) ?? []).map((s) => s.trim());
  return sentences
    .map((sentence, i) => ({ sentence, i, overlap: retrievalTokens(sentence).filter((w) => asked.has(w)).length }))
    .sort((a, b) => b.overlap - a.overlap || a.i - b.i)
    .slice(0, k)
    .map((x) => x.sentence);
}

export function buildToySystem(models: ToySettings = OFFLINE_TOY): CompoundSystem {
  const retriever = new FunctionComponent(
    {
      name: "retriever",
      description: "Selects the k sentences of the document that share the most words with the question.",
      inputFields: ["question", "document"],
      outputFields: ["passages"],
      variable: { kind: "params", value: { k: 1 }, space: { k: TOY_K_SPACE } },
    },
    (inputs, env) => ({ passages: retrieve(String(inputs.question), String(inputs.document), Number(paramValue(env.variable, "k"))).join("\n") }),
  );
  const extractor = new LLMComponent({
    name: "extractor",
    description: "Given a question and retrieved passages, copies the one sentence that answers the question.",
    inputs: [{ name: "question" }, { name: "passages", description: "one sentence per line" }],
    outputs: [{ name: "evidence", description: "the sentence that answers the question" }],
    skill: "toy.extract",
    variable: { kind: "prompt", instruction: "Find the sentence that answers the question." },
    config: { model: "sim-m", temperature: 0.6 },
  });
  const answerer = new LLMComponent({
    name: "answerer",
    description: "Given a question and an evidence sentence, answers with the shortest span of the evidence.",
    inputs: [{ name: "question" }, { name: "evidence" }],
    outputs: [{ name: "answer", description: "a short span copied from the evidence" }],
    skill: "toy.answer",
    instruction: "Answer the question with a short span from the evidence.",
    variable: { kind: "model", value: models.initialModel, choices: [...models.models] },
    config: { temperature: 0.3 },
  });
  return new CompoundSystem({
    name: "toy",
    components: [retriever, extractor, answerer],
    metric: (prediction, example) => tokenF1(String(prediction.answer ?? ""), String(example.fields.answer)),
    groundTruthOutputs: (example) => ({ answer: example.fields.answer! }),
  });
}

export const toyEntry: SystemEntry = {
  id: "toy",
  title: "Toy fact QA (3 components)",
  metric: "token F1",
  settings: TOY_SETTINGS,
  build: (settings) => buildToySystem(toySettings(settings)),
  load: () => loadToyData(),
  registerOracles: (store) => registerToyOracles(store),
};
