import { test } from "node:test";
import assert from "node:assert/strict";
import type { Fields } from "../src/core/json";
import { createRng } from "../src/core/random";
import { parseReply, renderMessages, type Signature } from "../src/core/signature";
import { CRITIQUE, EDIT, JUDGE, PROPOSE, scoredInstructionsText } from "../src/lm/meta-prompts";
import { addPhrasing, CONCEPTS, concept, dropConcept, profileInstruction } from "../src/lm/sim/concepts";
import { instructionTerm } from "../src/lm/sim/quality";
import { SimLM } from "../src/lm/sim/simlm";
import { applyCritique, visibleFailure } from "../src/lm/sim/skills/meta";

const BASE = "Answer the question with a short span from the evidence.";
// The meta-skills' code is the same in every version; these scenarios were written against
// simlm@1's worlds. test/simlm-v2.test.ts checks that simlm@2's proposers still beat random edits.

function ask(sim: SimLM, sig: Signature, fields: Fields, skill: string, model = "sim-l", sampleIndex = 0, temperature = 0.7): Fields {
  const reply = sim.complete({ model, messages: renderMessages(sig, fields), temperature, sampleIndex }, { skill });
  const parsed = parseReply(sig.outputs, reply.text);
  assert.deepEqual(parsed.missing, [], "meta-skill replies are well-formed");
  return parsed.outputs;
}

function propose(sim: SimLM, history: { instruction: string; score: number }[], sampleIndex: number, model = "sim-l", target = "toy.answer"): string {
  const fields = { component_description: "answers questions", scored_instructions: scoredInstructionsText(history), tip: "Be creative." };
  return String(ask(sim, PROPOSE, fields, `meta.propose:${target}`, model, sampleIndex).proposed_instruction);
}

function conceptSet(instruction: string): Set<number> {
  return new Set(profileInstruction(instruction).concepts);
}

test("meta.propose edits the best instruction of the scored history and always changes it", () => {
  const sim = new SimLM({ world: 0, version: "simlm@1" });
  const best = `${BASE} ${concept("exact-span").phrasings[0]} ${concept("concise").phrasings[0]}`;
  const worse = `${BASE} ${concept("creative").phrasings[0]} ${concept("polite").phrasings[0]} ${concept("formal").phrasings[0]}`;
  for (let i = 0; i < 50; i++) {
    const proposal = propose(sim, [{ instruction: worse, score: 0.2 }, { instruction: best, score: 0.6 }], i);
    assert.notEqual(proposal, best);
    assert.ok(proposal.startsWith(BASE), "the proposal keeps the instruction's own text");
    const got = conceptSet(proposal);
    const from = (start: string) => {
      const s = conceptSet(start);
      return [...got].filter((c) => !s.has(c)).length + [...s].filter((c) => !got.has(c)).length;
    };
    assert.ok(from(best) <= 3, "at most three edits away from the best instruction");
    assert.ok(from(best) < from(worse));
  }
});

test("meta.propose with an empty history edits the current instruction; the same request gives the same proposal", () => {
  const sim = new SimLM({ world: 2, version: "simlm@1" });
  const fields = { component_description: "answers", scored_instructions: "", tip: "", instruction: BASE };
  const sig: Signature = { ...PROPOSE, inputs: [...PROPOSE.inputs, { name: "instruction" }] };
  const a = String(ask(sim, sig, fields, "meta.propose:toy.answer").proposed_instruction);
  assert.ok(a.startsWith(BASE) && a !== BASE);
  assert.equal(String(ask(new SimLM({ world: 2, version: "simlm@1" }), sig, fields, "meta.propose:toy.answer").proposed_instruction), a);
});

/** The null model: the same number of edits (1–3), each adding or dropping a uniformly chosen concept. */
function randomEdit(instruction: string, rng: () => number): string {
  let out = instruction;
  const edits = 1 + Math.floor(rng() * 3);
  for (let e = 0; e < edits; e++) {
    const present = profileInstruction(out).concepts;
    if (present.length === 0 || rng() < 0.5) out = addPhrasing(out, CONCEPTS[Math.floor(rng() * CONCEPTS.length)]!.phrasings[0]!);
    else out = dropConcept(out, present[Math.floor(rng() * present.length)]!);
  }
  return out;
}

test("meta.propose improves the target skill's instruction term more than random edits, in every world", () => {
  for (let world = 0; world < 4; world++) {
    const sim = new SimLM({ world, version: "simlm@1" });
    const params = sim.world.params(sim.skill("toy.answer")!);
    const p0 = instructionTerm(params, BASE);
    const rng = createRng(`random-edits/${world}`);
    let proposed = 0;
    let random = 0;
    const n = 80;
    for (let i = 0; i < n; i++) {
      proposed += instructionTerm(params, propose(sim, [{ instruction: BASE, score: 0.4 }], i)) - p0;
      random += instructionTerm(params, randomEdit(BASE, rng)) - p0;
    }
    assert.ok(proposed / n > random / n + 0.1, `world ${world}: proposals ${proposed / n} vs random ${random / n}`);
  }
});

test("meta.propose learns its target from the routing name", () => {
  const sim = new SimLM({ world: 1, version: "simlm@1" });
  const extract = sim.world.params(sim.skill("toy.extract")!);
  const answer = sim.world.params(sim.skill("toy.answer")!);
  let forExtract = 0;
  let forAnswer = 0;
  for (let i = 0; i < 80; i++) {
    const e = propose(sim, [{ instruction: BASE, score: 0.4 }], i, "sim-xl", "toy.extract");
    const a = propose(sim, [{ instruction: BASE, score: 0.4 }], i, "sim-xl", "toy.answer");
    forExtract += instructionTerm(extract, e) - instructionTerm(extract, a);
    forAnswer += instructionTerm(answer, a) - instructionTerm(answer, e);
  }
  assert.ok(forExtract > 0 && forAnswer > 0, "each target's proposals suit that target better");
});

test("meta.critique names one or two bank concepts and reacts to the failure visible in the output", () => {
  const verboseRemedies = new Set(CONCEPTS.flatMap((c, i) => (c.remedies?.includes("verbose") ? [i] : [])));
  const samples = 100;
  const worlds = [0, 1, 2];
  // Share of critiques whose first suggestion is a remedy for verbosity, pooled over worlds.
  const remedyRate = (output: string): number => {
    let hits = 0;
    for (const world of worlds) {
      const sim = new SimLM({ world, version: "simlm@1" });
      for (let i = 0; i < samples; i++) {
        const fields = { component_description: "answers", instruction: BASE, component_output: output, feedback: "score 0" };
        const lines = String(ask(sim, CRITIQUE, fields, "meta.critique:toy.answer", "sim-m", i).critique).split("\n");
        assert.ok(lines.length >= 1 && lines.length <= 2);
        for (const line of lines) assert.match(line, /^(Add|Remove): /);
        const added = profileInstruction(lines[0]!.replace(/^Add: /, "")).concepts;
        assert.equal(added.length, 1, `"${lines[0]}" names one concept`);
        if (verboseRemedies.has(added[0]!)) hits++;
      }
    }
    return hits / (samples * worlds.length);
  };
  const long = Array.from({ length: 40 }, (_, i) => `word${i}`).join(" ");
  const short = "Tarsk";
  assert.ok(remedyRate(long) > remedyRate(short) + 0.08);
  assert.equal(visibleFailure(long), "verbose");
  assert.equal(visibleFailure(short), undefined);
  assert.equal(visibleFailure(JSON.stringify({ answer: "" })), "empty");
  assert.equal(visibleFailure(JSON.stringify({ scores: null })), "malformed");
});

test("meta.edit applies Add and Remove lines", () => {
  const sim = new SimLM({ world: 0, version: "simlm@1" });
  const start = `${BASE} Be creative.`;
  const critique = `Add: ${concept("concise").phrasings[1]}\nRemove: Be creative.`;
  const edited = String(ask(sim, EDIT, { instruction: start, critique }, "meta.edit:toy.answer").edited_instruction);
  assert.equal(edited, applyCritique(start, critique));
  const concepts = conceptSet(edited);
  assert.ok(concepts.has(CONCEPTS.indexOf(concept("concise"))));
  assert.ok(!concepts.has(CONCEPTS.indexOf(concept("creative"))));
  assert.ok(edited.startsWith(BASE));
});

test("judge.score is an integer in 1..10, blind to the example, and prefers grounded short outputs", () => {
  const sim = new SimLM({ world: 0, version: "simlm@1" });
  const inputs = JSON.stringify({ question: "What is the capital of Veloria?", evidence: "The capital of Veloria is Tarsk." });
  const score = (output: string, i: number, exampleId?: string): number => {
    const reply = sim.complete(
      { model: "sim-l", messages: renderMessages(JUDGE, { component_description: "answers", component_inputs: inputs, component_output: output }), temperature: 0.7, sampleIndex: i },
      { skill: "judge.score:toy.answer", exampleId },
    );
    const value = Number(parseReply(JUDGE.outputs, reply.text).outputs.score);
    assert.ok(Number.isInteger(value) && value >= 1 && value <= 10, `score ${value}`);
    return value;
  };
  let grounded = 0;
  let ungrounded = 0;
  for (let i = 0; i < 100; i++) {
    grounded += score(JSON.stringify({ answer: "Tarsk" }), i);
    ungrounded += score(JSON.stringify({ answer: "Mirelo Pondas" }), i);
    assert.equal(score(JSON.stringify({ answer: "Tarsk" }), i, "toy/test/1"), score(JSON.stringify({ answer: "Tarsk" }), i, "toy/test/2"));
  }
  assert.ok(grounded > ungrounded + 100, `grounded ${grounded / 100} vs ungrounded ${ungrounded / 100}`);
  assert.equal(score(JSON.stringify({ answer: "" }), 0), 1);
});
