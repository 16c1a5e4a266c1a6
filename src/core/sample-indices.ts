/**
 * The one owner of sample indices. A sample index keys an LM draw (SimLM's noise, a response
 * cache entry), so two runs that must not share a draw must not share an index. Every index a
 * method or the test score uses comes from one of these named ranges, which do not overlap:
 *
 * | range        | indices                      | what draws there                                         |
 * |--------------|------------------------------|----------------------------------------------------------|
 * | `train`      | [0, 1e6)                     | baseline scoring on training minibatches, pass p         |
 * | `round`      | [1e6, 2e6)                   | training round r (Optimas collection, HBC, REINFORCE)    |
 * | `proposal`   | [2e6, 3e6)                   | meta-calls (proposals, critiques, edits) of step s, call t |
 * | `validation` | [3e6, 4e6)                   | validation pass p (the gate draws fresh passes)          |
 * | `test`       | [4e6, 5e6)                   | test pass p (never drawn while optimizing)               |
 * | parse retry  | index + 5e6 × attempt        | re-asks of an unparsable reply, attempt ≥ 1              |
 *
 * Within a round, rollouts take slots [0, 500) and candidate re-samples [500, 1000), so a
 * re-sampled output never shares a draw with a rollout. Every function checks its arguments
 * against the stated bounds and throws outside them, so a collision cannot happen silently.
 */

const BLOCK = 1_000_000;
/** Slots of one round or one proposal step. */
const STEP_SLOTS = 1_000;
const MAX_STEPS = BLOCK / STEP_SLOTS;
const DRAW_OFFSET = STEP_SLOTS / 2;

export const SAMPLE_RANGES = {
  train: { start: 0, end: BLOCK },
  round: { start: BLOCK, end: 2 * BLOCK },
  proposal: { start: 2 * BLOCK, end: 3 * BLOCK },
  validation: { start: 3 * BLOCK, end: 4 * BLOCK },
  test: { start: 4 * BLOCK, end: 5 * BLOCK },
} as const;

/** Every index of the ranges above is below this; parse retries live above it. */
export const PRIMARY_END = 5 * BLOCK;
/** Retries per reply the ranges leave room for (llm-component's `parseRetries`). */
export const MAX_PARSE_ATTEMPTS = 100;

export const LIMITS = { steps: MAX_STEPS, rollouts: DRAW_OFFSET, draws: STEP_SLOTS - DRAW_OFFSET, calls: STEP_SLOTS, passes: BLOCK } as const;

function checked(name: string, value: number, limit: number, fn: string): number {
  if (!Number.isInteger(value) || value < 0 || value >= limit) {
    throw new RangeError(`sample index: ${fn} got ${name} = ${value}; it must be an integer in [0, ${limit}) (src/core/sample-indices.ts)`);
  }
  return value;
}

/** Pass `pass` of a baseline's scoring on training minibatches (and the policy samples drawn there). */
export function trainSample(pass: number): number {
  return SAMPLE_RANGES.train.start + checked("pass", pass, LIMITS.passes, "trainSample");
}

/** Rollout `rollout` of training round `round` (rollout 0 is also the round's base run). */
export function roundRollout(round: number, rollout: number): number {
  return SAMPLE_RANGES.round.start + checked("round", round, LIMITS.steps, "roundRollout") * STEP_SLOTS + checked("rollout", rollout, LIMITS.rollouts, "roundRollout");
}

/** Re-sample `draw` of a component in training round `round` (never a rollout's draw). */
export function roundDraw(round: number, draw: number): number {
  return SAMPLE_RANGES.round.start + checked("round", round, LIMITS.steps, "roundDraw") * STEP_SLOTS + DRAW_OFFSET + checked("draw", draw, LIMITS.draws, "roundDraw");
}

/** Meta-call `call` of proposal step `step` (OPRO/MIPRO/Optimas proposals, TextGrad critiques and edits). */
export function proposalSample(step: number, call: number): number {
  return SAMPLE_RANGES.proposal.start + checked("step", step, LIMITS.steps, "proposalSample") * STEP_SLOTS + checked("call", call, LIMITS.calls, "proposalSample");
}

/** Validation pass `pass` (a run's passes are numbered from 0 and never reused for a new comparison). */
export function validationSample(pass: number): number {
  return SAMPLE_RANGES.validation.start + checked("pass", pass, LIMITS.passes, "validationSample");
}

/** Test pass `pass`. */
export function testSample(pass: number): number {
  return SAMPLE_RANGES.test.start + checked("pass", pass, LIMITS.passes, "testSample");
}

/** Parse retry `attempt` (≥ 1) of a reply drawn at `index`: apart from every primary draw and every other attempt. */
export function parseRetrySample(index: number, attempt: number): number {
  checked("index", index, PRIMARY_END, "parseRetrySample");
  if (!Number.isInteger(attempt) || attempt < 1 || attempt > MAX_PARSE_ATTEMPTS) {
    throw new RangeError(`sample index: parseRetrySample got attempt = ${attempt}; it must be an integer in [1, ${MAX_PARSE_ATTEMPTS}] (src/core/sample-indices.ts)`);
  }
  return index + PRIMARY_END * attempt;
}
