import { FunctionComponent } from "../../core/component";
import { LLMComponent } from "../../core/llm-component";
import { CompoundSystem } from "../../core/system";
import { paramValue } from "../../core/variable";
import { loadToyData, registerToyOracles } from "../../data/toy";
import { tokenF1 } from "../../metrics/f1";
import { MODEL_NAMES } from "../../lm/sim/world";
import type { SystemEntry } from "../registry";

/**
 * The tiny system used by tests, the quickstart notebook and teaching: one component per variable
 * kind that matters offline — a retriever with a `params` variable (k), an extractor with a
 * `prompt` variable and an answerer with a `model` variable.
 */

const STOPWORDS = new Set(["the", "of", "is", "what", "which", "who", "a", "an", "in", "do", "does", "by", "was"]);

function terms(text: string): string[] {
  return (text.toLowerCase().match(/[a-z]+/g) ?? []).filter((w) => !STOPWORDS.has(w));
}

/** Top-k sentences of the document by word overlap with the question; ties keep document order. */
export function retrieve(question: string, document: string, k: number): string[] {
  const q = new Set(terms(question));
  const sentences = document.match(/[^.]+\./g)?.map((s) => s.trim()) ?? [];
  return sentences
    .map((s, i) => ({ s, i, overlap: terms(s).filter((t) => q.has(t)).length }))
    .sort((a, b) => b.overlap - a.overlap || a.i - b.i)
    .slice(0, k)
    .map((x) => x.s);
}

export function buildToySystem(): CompoundSystem {
  const retriever = new FunctionComponent(
    {
      name: "retriever",
      description: "Selects the k sentences of the document that overlap the question most.",
      inputFields: ["question", "document"],
      outputFields: ["passages"],
      variable: { kind: "params", value: { k: 1 }, space: { k: [1, 2, 3, 5, 8] } },
    },
    (inputs, env) => {
      const k = Number(paramValue(env.variable, "k"));
      return { passages: retrieve(String(inputs.question), String(inputs.document), k).join("\n") };
    },
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
    variable: { kind: "model", value: "sim-s", choices: [...MODEL_NAMES] },
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
  build: buildToySystem,
  load: () => loadToyData(),
  registerOracles: registerToyOracles,
};
