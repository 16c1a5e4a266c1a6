/** The requests the toy system really sends (SimLM model names), recorded in process, for the serve-sim tests. */
import { RunContext } from "../src/core/context";
import type { Example } from "../src/core/system";
import type { SimLM } from "../src/lm/sim/simlm";
import type { ChatMeta, ChatRequest, LM } from "../src/core/lm-types";
import { toyEntry } from "../src/systems/toy";

export interface RecordedCall {
  request: ChatRequest;
  meta: ChatMeta;
}

/** Runs the toy system on `examples` against `simlm` and returns every chat call it made. */
export async function recordToyRequests(simlm: SimLM, examples: readonly Example[]): Promise<RecordedCall[]> {
  const recorded: RecordedCall[] = [];
  const recorder: LM = {
    providerId: simlm.id,
    chat: async (request, meta = {}) => {
      recorded.push({ request, meta });
      return { ...(await simlm.chat(request, meta)), cached: false };
    },
    embed: (texts) => simlm.embed(texts),
  };
  const system = toyEntry.build({});
  const ctx = new RunContext({ lm: recorder, seed: 0 });
  for (const [i, ex] of examples.entries()) await system.run(ex, ctx.withSample(i));
  return recorded;
}
