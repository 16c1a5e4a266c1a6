import { test } from "node:test";
import assert from "node:assert/strict";
import { parseReply, parseRequest, renderMessages, renderReply, type Signature } from "../src/core/signature";

const sig: Signature = {
  instruction: "Answer the question using the context. Be concise.",
  inputs: [{ name: "question" }, { name: "context", description: "retrieved passages" }],
  outputs: [{ name: "answer" }, { name: "scores", type: "json" }],
};

test("rendered messages carry instruction, demos as turns, and the input fields", () => {
  const msgs = renderMessages(sig, { question: "Who?", context: "Ann did it.\n\nLine two." }, [
    { inputs: { question: "Q1", context: "C1" }, outputs: { answer: "A1", scores: [1, 2] } },
  ]);
  assert.deepEqual(msgs.map((m) => m.role), ["system", "user", "assistant", "user"]);
  assert.match(msgs[0]!.content, /Be concise\.$/);
  assert.match(msgs[3]!.content, /\[\[ ## context ## \]\]\nAnn did it\.\n\nLine two\./);
});

test("parseRequest inverts renderMessages", () => {
  const demos = [{ inputs: { question: "Q1", context: "C1" }, outputs: { answer: "A1", scores: [1, 2] } }];
  const parsed = parseRequest(renderMessages(sig, { question: "Who?", context: "Ann did it." }, demos));
  assert.ok(parsed);
  assert.equal(parsed.instruction, sig.instruction);
  assert.deepEqual(parsed.inputNames, ["question", "context"]);
  assert.deepEqual(parsed.outputNames, ["answer", "scores"]);
  assert.deepEqual(parsed.inputs, { question: "Who?", context: "Ann did it." });
  assert.deepEqual(parsed.demos, [{ inputs: { question: "Q1", context: "C1" }, outputs: { answer: "A1", scores: "[1,2]" } }]);
});

test("parseRequest returns null for a generic chat", () => {
  assert.equal(parseRequest([{ role: "user", content: "hello" }]), null);
});

test("parseReply reads text and JSON fields and reports what is missing or malformed", () => {
  const ok = parseReply(sig.outputs, renderReply(sig.outputs, { answer: "Ann", scores: { a: 1 } }));
  assert.deepEqual(ok, { outputs: { answer: "Ann", scores: { a: 1 } }, missing: [] });
  const broken = parseReply(sig.outputs, "[[ ## answer ## ]]\nAnn\n[[ ## scores ## ]]\n{oops");
  assert.deepEqual(broken, { outputs: { answer: "Ann", scores: null }, missing: ["scores"] });
  const prose = parseReply(sig.outputs, "The answer is Ann.");
  assert.deepEqual(prose.missing, ["answer", "scores"]);
  assert.equal(prose.outputs.answer, "");
});
