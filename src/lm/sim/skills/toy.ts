import type { Fields } from "../../../core/json";
import { registerSkill, type SkillCall } from "../skill";

/**
 * Skills of the tiny system. toy.extract picks the sentence that answers the question from the
 * retrieved passages; toy.answer reads the answer span off that evidence. Evidence terms couple
 * them: an extractor that drops the gold sentence caps the answerer.
 */

interface ToyOracle {
  answer: string;
  sentence: string;
}

function oracle(call: SkillCall): ToyOracle | undefined {
  const o = call.oracle as Partial<ToyOracle> | undefined;
  return o && typeof o.answer === "string" && typeof o.sentence === "string" ? (o as ToyOracle) : undefined;
}

function sentences(text: string): string[] {
  return text.split("\n").map((s) => s.trim()).filter(Boolean);
}

function capitalized(text: string): string[] {
  return text.match(/\b[A-Z][a-z]{2,}\b/g) ?? [];
}

function pick<T>(items: readonly T[], u: number): T | undefined {
  return items.length === 0 ? undefined : items[Math.floor(u * items.length)];
}

registerSkill({
  name: "toy.extract",
  domain: "general",
  failureModes: ["wrong-sentence", "truncated", "copy-all"],
  evidence(call) {
    const o = oracle(call);
    const passages = sentences(call.request.inputs.passages ?? "");
    if (!o || !passages.includes(o.sentence)) return -1.5;
    return 0.6 - 0.15 * Math.max(0, passages.length - 3);
  },
  good(call): Fields {
    const o = oracle(call);
    const passages = sentences(call.request.inputs.passages ?? "");
    return { evidence: o && passages.includes(o.sentence) ? o.sentence : (passages[0] ?? "") };
  },
  fail(mode, call): Fields {
    const o = oracle(call);
    const passages = sentences(call.request.inputs.passages ?? "");
    const target = o && passages.includes(o.sentence) ? o.sentence : (passages[0] ?? "");
    if (mode === "copy-all") return { evidence: passages.join(" ") };
    const others = passages.filter((p) => p !== o?.sentence);
    if (mode === "wrong-sentence" && others.length > 0) return { evidence: pick(others, call.u("wrong"))! };
    const words = target.split(" ");
    return { evidence: words.slice(0, Math.max(1, Math.floor(words.length / 2))).join(" ") };
  },
  checkDemo(demo) {
    const evidence = (demo.outputs.evidence ?? "").trim();
    return evidence !== "" && sentences(demo.inputs.passages ?? "").includes(evidence);
  },
});

registerSkill({
  name: "toy.answer",
  domain: "general",
  failureModes: ["other-span", "verbose"],
  evidence(call) {
    const o = oracle(call);
    return o && (call.request.inputs.evidence ?? "").includes(o.answer) ? 0.8 : -2.5;
  },
  good(call): Fields {
    const o = oracle(call);
    const evidence = call.request.inputs.evidence ?? "";
    if (o && evidence.includes(o.answer)) return { answer: o.answer };
    return { answer: capitalized(evidence).at(-1) ?? "unknown" };
  },
  fail(mode, call): Fields {
    const o = oracle(call);
    const evidence = call.request.inputs.evidence ?? "";
    if (mode === "verbose") return { answer: o && evidence.includes(o.answer) ? `The answer is ${o.answer}, according to the evidence.` : evidence };
    const spans = capitalized(evidence).filter((w) => w !== o?.answer);
    return { answer: pick(spans, call.u("span")) ?? "unknown" };
  },
  checkDemo(demo) {
    const answer = (demo.outputs.answer ?? "").trim();
    return /^[A-Z][a-z]+$/.test(answer) && (demo.inputs.evidence ?? "").includes(answer);
  },
});
