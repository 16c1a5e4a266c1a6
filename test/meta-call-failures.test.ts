import { test } from "node:test";
import assert from "node:assert/strict";
import { FatalRunError } from "../src/core/failure";
import { LMHttpError, LMRetriesExhaustedError } from "../src/lm/errors";
import { callMeta, EDIT } from "../src/lm/meta-prompts";
import type { ChatRequest, ChatResponse, LM } from "../src/core/lm-types";

/** An LM whose first `failures` chats run out of retries, then answers; it records the sample indices it was sent. */
function flakyLM(failures: number): LM & { seen: number[] } {
  const seen: number[] = [];
  return {
    providerId: "flaky",
    seen,
    async chat(request: ChatRequest): Promise<ChatResponse> {
      seen.push(request.sampleIndex ?? -1);
      if (seen.length <= failures) throw new LMRetriesExhaustedError(6, Object.assign(new LMHttpError(503, "busy"), { failureCause: "http-503" }));
      return { text: "[[ ## edited_instruction ## ]]\nbe precise", model: request.model, usage: { promptTokens: 1, completionTokens: 1 }, costUsd: 0, latencyMs: 0, cached: false };
    },
    async embed() {
      return [];
    },
  };
}

const call = (lm: LM) => ({ lm, model: "meta", skill: "meta.edit" as const, temperature: 0.7, sampleIndex: 42, stage: "optimize" });

test("a meta-model call that ran out of retries is re-sent with the same sample index and its answer used", async () => {
  const lm = flakyLM(2);
  const out = await callMeta(EDIT, { instruction: "x", critique: "y" }, call(lm));
  assert.equal(out.edited_instruction, "be precise");
  assert.deepEqual(lm.seen, [42, 42, 42]);
});

test("a meta-model call that keeps failing stops the run with a fatal line, never an empty proposal", async () => {
  const lm = flakyLM(Infinity);
  await assert.rejects(callMeta(EDIT, { instruction: "x", critique: "y" }, call(lm)), (err: unknown) => {
    assert.ok(err instanceof FatalRunError);
    assert.match(err.message, /^flaky: the meta\.edit call to meta-model "meta" kept failing .*optimas resume/);
    return true;
  });
});
