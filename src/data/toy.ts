import type { Example } from "../core/system";
import type { Json } from "../core/json";
import { createRng, shuffled, type Rng } from "../core/random";
import type { OracleStore } from "./oracle";

/**
 * The tiny teaching/test dataset: generated facts about invented countries. Each example is a
 * short document (one gold sentence among distractors about the same country and about other
 * countries) and a question whose wording only partly overlaps the gold sentence, so retrieval
 * depth, extraction and answering all matter. Deterministic for a seed; ids `toy/<split>/<i>`.
 */

export const TOY_SPLITS = { train: 60, val: 30, test: 60 } as const;

interface Attribute {
  name: string;
  sentence: (country: string, value: string) => string;
  questions: ((country: string) => string)[];
}

const ATTRIBUTES: Attribute[] = [
  { name: "capital", sentence: (c, v) => `The capital of ${c} is ${v}.`, questions: [(c) => `What is the capital of ${c}?`, (c) => `Which city is the seat of government of ${c}?`] },
  { name: "river", sentence: (c, v) => `The main river of ${c} is the ${v}.`, questions: [(c) => `Which river flows through ${c}?`, (c) => `What is the main river of ${c}?`] },
  { name: "language", sentence: (c, v) => `The official language of ${c} is ${v}.`, questions: [(c) => `What language do people speak in ${c}?`, (c) => `What is the official language of ${c}?`] },
  { name: "founder", sentence: (c, v) => `${c} was founded by ${v}.`, questions: [(c) => `Who founded ${c}?`, (c) => `Who was the founder of ${c}?`] },
  { name: "currency", sentence: (c, v) => `The currency of ${c} is the ${v}.`, questions: [(c) => `What money is used in ${c}?`, (c) => `What is the currency of ${c}?`] },
  { name: "mountain", sentence: (c, v) => `The highest mountain of ${c} is ${v}.`, questions: [(c) => `Which peak is the tallest in ${c}?`, (c) => `What is the highest mountain of ${c}?`] },
];

const SYLLABLES = ["ka", "lo", "mi", "ra", "ven", "tor", "si", "dal", "ne", "por", "qua", "zel", "bri", "ost", "um", "fe", "gal", "rin", "tas", "vo"];

function name(rng: Rng, parts: number): string {
  const s = Array.from({ length: parts }, () => SYLLABLES[Math.floor(rng() * SYLLABLES.length)]!).join("");
  return s[0]!.toUpperCase() + s.slice(1);
}

export interface ToyOracle {
  answer: string;
  sentence: string;
}

export interface ToyData {
  train: Example[];
  val: Example[];
  test: Example[];
}

export function loadToyData(options: { seed?: string } = {}): ToyData {
  const rng = createRng(`toy@1/${options.seed ?? "default"}`);
  const countries = Array.from({ length: 40 }, () => name(rng, 3));
  const facts = new Map<string, Map<string, string>>();
  for (const c of countries) facts.set(c, new Map(ATTRIBUTES.map((a) => [a.name, name(rng, 2)])));
  const total = TOY_SPLITS.train + TOY_SPLITS.val + TOY_SPLITS.test;
  const rows = Array.from({ length: total }, () => {
    const country = countries[Math.floor(rng() * countries.length)]!;
    const attr = ATTRIBUTES[Math.floor(rng() * ATTRIBUTES.length)]!;
    const answer = facts.get(country)!.get(attr.name)!;
    const gold = attr.sentence(country, answer);
    const sameCountry = shuffled(ATTRIBUTES.filter((a) => a !== attr), rng).slice(0, 3).map((a) => a.sentence(country, facts.get(country)!.get(a.name)!));
    const others = shuffled(countries.filter((c) => c !== country), rng).slice(0, 4).map((c) => attr.sentence(c, facts.get(c)!.get(attr.name)!));
    const document = shuffled([gold, ...sameCountry, ...others], rng).join(" ");
    const question = attr.questions[Math.floor(rng() * attr.questions.length)]!(country);
    return { question, document, answer, gold };
  });
  const split = (name: keyof typeof TOY_SPLITS, from: number): Example[] =>
    rows.slice(from, from + TOY_SPLITS[name]).map((r, i) => ({ id: `toy/${name}/${i}`, fields: { question: r.question, document: r.document, answer: r.answer, gold_sentence: r.gold } }));
  return { train: split("train", 0), val: split("val", TOY_SPLITS.train), test: split("test", TOY_SPLITS.train + TOY_SPLITS.val) };
}

/** Registers the toy oracle (answer and gold sentence) under the prefix "toy", loading lazily. */
export function registerToyOracles(store: OracleStore): void {
  let byId: Map<string, Json> | undefined;
  store.register("toy", (id) => {
    byId ??= new Map(Object.values(loadToyData()).flat().map((e: Example) => [e.id, { answer: e.fields.answer!, sentence: e.fields.gold_sentence! } as Json]));
    return byId.get(id);
  });
}
