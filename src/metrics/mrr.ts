/**
 * Mean reciprocal rank of one query over its candidates: candidates sorted by score, highest
 * first, with a stable sort, so equal scores keep the candidates' original order (the earlier
 * candidate ranks higher, as Python's `sorted` does in the reference); non-finite scores rank last.
 * The score is 1/rank of the first candidate whose id is a gold answer, 0 if none is, and 0 when
 * any input is empty (the reference's guard).
 */
export function mrr(candidateIds: readonly number[], scores: readonly number[], answerIds: readonly number[]): number {
  if (candidateIds.length === 0 || scores.length === 0 || answerIds.length === 0) return 0;
  if (scores.length !== candidateIds.length) throw new Error(`MRR needs one score per candidate (got ${scores.length} scores for ${candidateIds.length} candidates)`);
  const key = (s: number): number => (Number.isFinite(s) ? s : -Infinity);
  const order = candidateIds.map((id, i) => ({ id, score: key(scores[i]!), i })).sort((a, b) => b.score - a.score || a.i - b.i);
  const gold = new Set(answerIds);
  const rank = order.findIndex((c) => gold.has(c.id));
  return rank < 0 ? 0 : 1 / (rank + 1);
}
