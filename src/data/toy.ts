import type { Json } from "../core/json";
import { createRng, shuffled, type Rng } from "../core/random";
import type { Example } from "../core/system";
import type { OracleStore } from "./oracle";
import { exampleId, lazyOracleResolver, type DatasetSplits, type SplitName } from "./splits";

/**
 * The tiny teaching/test dataset, generated from a seed: facts about invented countries. Each
 * example is a short document — the gold sentence ("The capital of Veloria is Tarsk."), other facts
 * about the same country, the same fact about other countries, and filler — and a question whose
 * wording overlaps the gold sentence fully or only through the country's name, so retrieval depth,
 * extraction and answering all matter. Ids are `toy/<split>/<i>`; fields `question`, `document`,
 * `answer`, `gold_sentence`, `country`. The oracle SimLM reads is `{ answer, sentence, entity }`.
 */

export const TOY_SPLITS: Readonly<Record<SplitName, number>> = { train: 60, val: 30, test: 60 };

interface Relation {
  name: string;
  sentence: (country: string, value: string) => string;
  /** The first question repeats the sentence's words; the second shares only the country. */
  questions: readonly [(country: string) => string, (country: string) => string];
}

const RELATIONS: readonly Relation[] = [
  { name: "capital", sentence: (c, v) => `The capital of ${c} is ${v}.`, questions: [(c) => `What is the capital of ${c}?`, (c) => `Which city is the seat of government in ${c}?`] },
  { name: "river", sentence: (c, v) => `The main river of ${c} is the ${v}.`, questions: [(c) => `What is the main river of ${c}?`, (c) => `Which waterway flows through ${c}?`] },
  { name: "language", sentence: (c, v) => `The official language of ${c} is ${v}.`, questions: [(c) => `What is the official language of ${c}?`, (c) => `What do people speak in ${c}?`] },
  { name: "founder", sentence: (c, v) => `${c} was founded by ${v}.`, questions: [(c) => `Who founded ${c}?`, (c) => `Who established ${c} long ago?`] },
  { name: "currency", sentence: (c, v) => `The currency of ${c} is the ${v}.`, questions: [(c) => `What is the currency of ${c}?`, (c) => `What money do shops accept in ${c}?`] },
  { name: "mountain", sentence: (c, v) => `The highest mountain of ${c} is ${v}.`, questions: [(c) => `What is the highest mountain of ${c}?`, (c) => `Which peak towers over ${c}?`] },
];

const FILLERS: readonly ((country: string) => string)[] = [
  (c) => `${c} is known for its mild winters.`,
  (c) => `Travellers often praise the markets of ${c}.`,
  (c) => `Many festivals take place in ${c} every spring.`,
  (c) => `The roads of ${c} were rebuilt last decade.`,
];

const SYLLABLES = ["ka", "lo", "mi", "ra", "ven", "tor", "si", "dal", "ne", "por", "qua", "zel", "bri", "ost", "um", "fe", "gal", "rin", "tas", "vo"];
const COUNTRIES = 36;

/** A fresh capitalized invented word of `parts` syllables. */
function inventName(rng: Rng, parts: number, taken: Set<string>): string {
  for (;;) {
    const word = Array.from({ length: parts }, () => SYLLABLES[Math.floor(rng() * SYLLABLES.length)]!).join("");
    const name = word[0]!.toUpperCase() + word.slice(1);
    if (!taken.has(name)) {
      taken.add(name);
      return name;
    }
  }
}

export interface ToyDataOptions {
  /** Generation seed (default 0); different seeds give different worlds of facts and questions. */
  seed?: number;
}

export function loadToyData(options: ToyDataOptions = {}): DatasetSplits {
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new Error(`toy data seed must be an integer (got ${seed})`);
  const rng = createRng(`toy@1/seed-${seed}`);
  const taken = new Set<string>();
  const countries = Array.from({ length: COUNTRIES }, () => inventName(rng, 3, taken));
  const facts = new Map(countries.map((c) => [c, new Map(RELATIONS.map((r) => [r.name, inventName(rng, 2, taken)]))]));
  const value = (country: string, relation: Relation): string => facts.get(country)!.get(relation.name)!;
  const make = (split: SplitName, i: number): Example => {
    const country = countries[Math.floor(rng() * countries.length)]!;
    const relation = RELATIONS[Math.floor(rng() * RELATIONS.length)]!;
    const answer = value(country, relation);
    const gold = relation.sentence(country, answer);
    const sameCountry = shuffled(RELATIONS.filter((r) => r !== relation), rng)
      .slice(0, 2 + Math.floor(rng() * 3))
      .map((r) => r.sentence(country, value(country, r)));
    const sameRelation = shuffled(countries.filter((c) => c !== country), rng)
      .slice(0, 3 + Math.floor(rng() * 3))
      .map((c) => relation.sentence(c, value(c, relation)));
    const filler = shuffled(FILLERS, rng)
      .slice(0, 1 + Math.floor(rng() * 2))
      .map((f) => f(rng() < 0.5 ? country : countries[Math.floor(rng() * countries.length)]!));
    const document = shuffled([gold, ...sameCountry, ...sameRelation, ...filler], rng).join(" ");
    const question = relation.questions[rng() < 0.5 ? 0 : 1](country);
    return { id: exampleId("toy", split, i), fields: { question, document, answer, gold_sentence: gold, country } };
  };
  return {
    train: Array.from({ length: TOY_SPLITS.train }, (_, i) => make("train", i)),
    val: Array.from({ length: TOY_SPLITS.val }, (_, i) => make("val", i)),
    test: Array.from({ length: TOY_SPLITS.test }, (_, i) => make("test", i)),
  };
}

/** The truth SimLM's toy skills read: the answer, the gold sentence and the country asked about. */
export function toyOracle(example: Example): Json {
  return { answer: example.fields.answer!, sentence: example.fields.gold_sentence!, entity: example.fields.country! };
}

/** Makes the toy examples of `seed` resolvable by SimLM under the prefix "toy" (generated on first use). */
export function registerToyOracles(store: OracleStore, options: ToyDataOptions = {}): void {
  store.register("toy", lazyOracleResolver(() => loadToyData(options), toyOracle));
}
