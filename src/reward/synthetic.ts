import { createRng, type Rng } from "../core/random";
import type { PreferencePair } from "./types";

/**
 * Which outputs a synthetic global metric prefers:
 * - "marker": answers containing the word `SYNTHETIC_MARKER` (a lexical property of the output);
 * - "copied": answers that are a span of the passage, over answers of words not in it (a property
 *   relative to the inputs, which must transfer to passages of never-seen words);
 * - "novel": the opposite of "copied".
 */
export type SyntheticPreference = "marker" | "copied" | "novel";

export const SYNTHETIC_MARKER = "grounded";

export interface SyntheticPairOptions {
  component: string;
  prefer: SyntheticPreference;
  count: number;
  /** Seed of the word and pair draws. */
  seed: string;
  /** "binary": every pair 1 vs 0 (constant margins); "graded": random scores, chosen above rejected. */
  scores?: "binary" | "graded";
}

/**
 * Preference pairs over passages of fresh pseudo-words, for tests, benchmarks and teaching: the
 * preferred side is fixed by `prefer`, and both sides are otherwise drawn alike, so a reward model
 * can only rank them by learning that property.
 */
export function syntheticPairs(options: SyntheticPairOptions): PreferencePair[] {
  const rng = createRng(`synthetic-pairs/${options.seed}`);
  const pairs: PreferencePair[] = [];
  for (let i = 0; i < options.count; i++) {
    const passage = Array.from({ length: 12 }, () => pseudoWord(rng));
    const question = [pick(rng, passage), pick(rng, passage), pseudoWord(rng)];
    const start = Math.floor(rng() * (passage.length - 3));
    const span = passage.slice(start, start + 3).join(" ");
    const fresh = Array.from({ length: 3 }, () => pseudoWord(rng)).join(" ");
    const [chosen, rejected] = answersFor(options.prefer, passage, span, fresh, rng);
    const [scoreChosen, scoreRejected] = options.scores === "graded" ? [0.5 + 0.5 * rng(), 0.5 * rng()] : [1, 0];
    pairs.push({
      component: options.component,
      inputs: { question: `${question.join(" ")}?`, passage: passage.join(" ") },
      chosen: { answer: chosen },
      rejected: { answer: rejected },
      scoreChosen,
      scoreRejected,
    });
  }
  return pairs;
}

function answersFor(prefer: SyntheticPreference, passage: string[], span: string, fresh: string, rng: Rng): [string, string] {
  switch (prefer) {
    case "copied":
      return [span, fresh];
    case "novel":
      return [fresh, span];
    case "marker": {
      // Both answers hold two passage words and one word that is not in the passage, so overlap
      // with the inputs is equal and only the marker tells them apart.
      const base = [pick(rng, passage), pick(rng, passage)];
      return [[...base, SYNTHETIC_MARKER].join(" "), [...base, pseudoWord(rng)].join(" ")];
    }
  }
}

const CONSONANTS = "bdfgklmnprstvz";
const VOWELS = "aeiou";

// Consonant–vowel syllables only, so a pseudo-word can never equal the marker.
function pseudoWord(rng: Rng): string {
  let w = "";
  const syllables = 2 + Math.floor(rng() * 2);
  for (let s = 0; s < syllables; s++) w += pick(rng, CONSONANTS) + pick(rng, VOWELS);
  return w;
}

function pick<T>(rng: Rng, items: ArrayLike<T>): T {
  return items[Math.floor(rng() * items.length)]!;
}
