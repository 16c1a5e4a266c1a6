import { normalizeAnswer } from "../../../metrics/f1";
import type { Draws } from "../hash";

/**
 * A near miss of an extractive answer (simlm@2): the answer span widened by one neighbouring word
 * of the first sentence it occurs in, so token F1 grades it between right and wrong.
 */

/** The gold widened by one neighbouring word (the one before or after, by a draw), or undefined when no sentence holds it. */
export function widenedSpan(gold: string, sentences: readonly string[], draws: Draws): string | undefined {
  const g = normalizeAnswer(gold).split(" ").filter(Boolean);
  if (g.length === 0) return undefined;
  for (const s of sentences) {
    const raw = s.split(/\s+/);
    const norm = raw.map((w) => normalizeAnswer(w));
    for (let i = 0; i + g.length <= raw.length; i++) {
      if (!g.every((w, k) => norm[i + k] === w)) continue;
      const before = i > 0 && norm[i - 1] !== "" ? raw[i - 1] : undefined;
      const after = i + g.length < raw.length && norm[i + g.length] !== "" ? raw[i + g.length] : undefined;
      const span = raw.slice(i, i + g.length).join(" ").replace(/[.,;:!?]+$/, "");
      if (before && (!after || draws.next() < 0.5)) return `${before} ${span}`;
      if (after) return `${span} ${after.replace(/[.,;:!?]+$/, "")}`;
    }
  }
  return undefined;
}

