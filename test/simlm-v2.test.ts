/**
 * simlm@2's instruction effects and graded outputs (docs/simlm.md). None of these checks runs an
 * optimization method: they read the quality equation and the replies directly.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseReply, renderMessages, type Signature } from "../src/core/signature";
import { createRng } from "../src/core/random";
import { OracleStore } from "../src/data/oracle";
import { PROPOSE, scoredInstructionsText } from "../src/lm/meta-prompts";
import { tokenF1 } from "../src/metrics/f1";
import { extractPubMedLabel, PUBMED_EXTRACTIONS } from "../src/metrics/pubmed";
import { CONCEPTS } from "../src/lm/sim/concepts";
import { formatTerm, instructionTerm } from "../src/lm/sim/quality";
import { CONFLICT_PAIRS, contradictsFormat, isRelevant, outputFormat } from "../src/lm/sim/relevance";
import { SimLM } from "../src/lm/sim/simlm";
import type { Skill } from "../src/lm/sim/skill";
import { BUILTIN_SKILLS } from "../src/lm/sim/skills/index";
import { World } from "../src/lm/sim/world";

const BASE = "Do the task described by the fields.";
const WORLDS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

function withConcepts(indices: readonly number[], phrasing = 0): string {
  return [BASE, ...indices.map((i) => CONCEPTS[i]!.phrasings[phrasing % CONCEPTS[i]!.phrasings.length])].join(" ");
}

function forEverySkillAndWorld(check: (skill: Skill, world: World) => void): void {
  for (const w of WORLDS) {
    const world = new World(w, "simlm@2");
    for (const skill of BUILTIN_SKILLS) check(skill, world);
  }
}

test("every built-in skill declares its task traits", () => {
  for (const skill of BUILTIN_SKILLS) assert.ok((skill.traits ?? []).length > 0, skill.name);
});

test("contradictory instructions score below either one alone, for every conflicting pair, skill and world 0-9", () => {
  let pairs = 0;
  forEverySkillAndWorld((skill, world) => {
    const params = world.params(skill);
    const p = (indices: number[]) => instructionTerm(params, withConcepts(indices));
    for (const [a, b] of CONFLICT_PAIRS) {
      const both = p([a, b]);
      assert.ok(both < Math.min(p([a]), p([b])), `${world.id} ${skill.name}: ${CONCEPTS[a]!.id}+${CONCEPTS[b]!.id} ${both} vs ${p([a])}, ${p([b])}`);
      pairs++;
    }
  });
  assert.equal(pairs, WORLDS.length * BUILTIN_SKILLS.length * CONFLICT_PAIRS.length);
});

test("a format instruction that contradicts the skill's format lowers format compliance", () => {
  let checked = 0;
  forEverySkillAndWorld((skill, world) => {
    const params = world.params(skill);
    const format = outputFormat(skill.traits ?? []);
    CONCEPTS.forEach((c, i) => {
      if (!contradictsFormat(i, format)) return;
      assert.ok(formatTerm(params, withConcepts([i])) < formatTerm(params, BASE), `${world.id} ${skill.name}: "${c.id}" against ${format}`);
      checked++;
    });
  });
  assert.ok(checked > 100, `${checked} contradictions checked`);
  // End to end: STaRK's JSON scorer told to end with an answer line breaks its JSON more often.
  const sim = new SimLM({ world: 0 });
  const sig: Signature = { instruction: BASE, inputs: [{ name: "question" }, { name: "text_info" }], outputs: [{ name: "text_scores", type: "json" }] };
  const broken = (instruction: string): number => {
    let n = 0;
    for (let i = 0; i < 400; i++) {
      const messages = renderMessages({ ...sig, instruction }, { question: `q${i}`, text_info: JSON.stringify(["a", "b", "c", "d", "e"]) });
      if (!sim.assess({ model: "sim-m", messages, temperature: 0.7 }, { skill: "stark.text_score" })!.formatOk) n++;
    }
    return n;
  };
  const plain = broken(BASE);
  const contradicted = broken(`${BASE} End with \`Answer: <label>\`.`);
  assert.ok(contradicted > plain, `format failures ${contradicted} vs ${plain} of 400`);
});

test("ten irrelevant concepts do not beat one relevant concept (the most favourable ten, every skill, worlds 0-9)", () => {
  forEverySkillAndWorld((skill, world) => {
    const params = world.params(skill);
    const traits = skill.traits ?? [];
    const byWeight = (keep: (i: number) => boolean) =>
      CONCEPTS.map((_, i) => i)
        .filter(keep)
        .sort((x, y) => params.conceptWeights[y]! - params.conceptWeights[x]!);
    const relevant = byWeight((i) => isRelevant(i, traits))[0]!;
    const conflicting = (i: number, chosen: number[]) => CONFLICT_PAIRS.some(([a, b]) => (a === i && chosen.includes(b)) || (b === i && chosen.includes(a)));
    const irrelevant: number[] = [];
    for (const i of byWeight((i) => !isRelevant(i, traits))) if (irrelevant.length < 10 && !conflicting(i, irrelevant)) irrelevant.push(i);
    assert.equal(irrelevant.length, 10);
    const one = instructionTerm(params, withConcepts([relevant]));
    const ten = instructionTerm(params, withConcepts(irrelevant));
    assert.ok(ten < one, `${world.id} ${skill.name}: ten irrelevant ${ten} vs one relevant ${one}`);
    assert.ok(ten < 0, `${world.id} ${skill.name}: ten irrelevant concepts ${ten}`);
  });
});

test("piling up helpful concepts has diminishing returns, and length costs", () => {
  let skillsWithFourHelpful = 0;
  forEverySkillAndWorld((skill, world) => {
    const params = world.params(skill);
    const conflicting = (i: number, chosen: number[]) => CONFLICT_PAIRS.some(([a, b]) => (a === i && chosen.includes(b)) || (b === i && chosen.includes(a)));
    const helpful: number[] = [];
    for (const i of CONCEPTS.map((_, k) => k).sort((x, y) => params.conceptWeights[y]! - params.conceptWeights[x]!)) {
      if (params.conceptWeights[i]! > 0 && !conflicting(i, helpful)) helpful.push(i);
    }
    if (helpful.length < 4) return;
    skillsWithFourHelpful++;
    const p = (k: number) => instructionTerm(params, withConcepts(helpful.slice(0, k)));
    const gains = [1, 2, 3, 4].map((k) => p(k) - p(k - 1));
    // Each further concept adds less than the one before it, though it is drawn no stronger.
    for (let k = 1; k < 4; k++) assert.ok(gains[k]! < gains[k - 1]!, `${world.id} ${skill.name}: gains ${gains}`);
    const filler = Array.from({ length: 150 }, (_, i) => `word${i}`).join(" ");
    assert.ok(instructionTerm(params, `${withConcepts(helpful.slice(0, 2))} ${filler}`) < p(2), `${world.id} ${skill.name}: 150 words`);
    assert.ok(instructionTerm(params, `${BASE} ${filler}`) < -0.15, `${world.id} ${skill.name}: 150 words alone`);
  });
  assert.ok(skillsWithFourHelpful > 20, `${skillsWithFourHelpful} skill-worlds with four helpful concepts`);
});

test("simlm@2 keeps simlm@1's abilities, failure rates and format bases, and redraws instruction effects", () => {
  for (const skill of BUILTIN_SKILLS) {
    const v1 = new World(3, "simlm@1").params(skill);
    const v2 = new World(3, "simlm@2").params(skill);
    assert.deepEqual(v2.ability, v1.ability);
    assert.deepEqual(v2.failureRates, v1.failureRates);
    assert.equal(v2.formatBase, v1.formatBase);
    assert.notDeepEqual([...v2.conceptWeights], [...v1.conceptWeights]);
  }
});

// toy.answer's request family: the oracle of every example says the answer is Tarsk.
const ANSWER: Signature = { instruction: "Answer the question with a short span from the evidence.", inputs: [{ name: "question" }, { name: "evidence" }], outputs: [{ name: "answer" }] };
const EVIDENCE = "The capital of Veloria is Tarsk.";

function toyOracles(): OracleStore {
  const store = new OracleStore();
  store.register("t", () => ({ answer: "Tarsk", sentence: EVIDENCE, entity: "Veloria" }));
  return store;
}

test("re-sampling a competent component gives several distinct correct outputs and a spread of scores", () => {
  const sim = new SimLM({ world: 0, oracles: toyOracles() });
  const messages = renderMessages(ANSWER, { question: "What is the capital of Veloria?", evidence: EVIDENCE });
  const correct = new Set<string>();
  const scores = new Set<number>();
  let partial = 0;
  for (let sampleIndex = 0; sampleIndex < 60; sampleIndex++) {
    const reply = sim.complete({ model: "sim-xl", messages, temperature: 1, sampleIndex }, { skill: "toy.answer", exampleId: "t/x/0" });
    const answer = String(parseReply(ANSWER.outputs, reply.text).outputs.answer ?? "");
    const score = tokenF1(answer, "Tarsk");
    scores.add(score);
    if (score === 1) correct.add(answer);
    if (score > 0 && score < 1) partial++;
  }
  assert.ok(correct.size >= 2, `distinct correct answers: ${[...correct].join(" | ")}`);
  assert.ok(partial > 0 && scores.has(1) && scores.size >= 3, `scores ${[...scores].join(", ")}`);
});

test("a competent PubMedQA solver states the gold label in several forms, each read as the gold by both extraction rules", () => {
  const context = "Aspirin lowered the risk of stroke in the trial. Bleeding was rare.";
  const question = "Does aspirin lower the risk of stroke?";
  const oracles = new OracleStore();
  oracles.register("p", () => ({ groundtruth: "yes", context, question }));
  const sim = new SimLM({ world: 1, oracles });
  const sig: Signature = { instruction: "Answer the question from the summary.", inputs: [{ name: "question" }, { name: "summary" }], outputs: [{ name: "answer" }] };
  const messages = renderMessages(sig, { question, summary: context });
  const forms = new Set<string>();
  for (let sampleIndex = 0; sampleIndex < 60; sampleIndex++) {
    const a = sim.assess({ model: "sim-med", messages, temperature: 1, sampleIndex }, { skill: "pubmed.solve", exampleId: "p/x/0" })!;
    if (!a.success || !a.formatOk) continue;
    const answer = String(parseReply(sig.outputs, a.text).outputs.answer);
    forms.add(answer);
    for (const rule of PUBMED_EXTRACTIONS) assert.equal(extractPubMedLabel(answer, rule), "yes", `${rule}: ${answer}`);
  }
  assert.ok(forms.size >= 2, [...forms].join(" | "));
});

test("simlm@2's proposers still know the world through their noisy beliefs: proposals raise P more than random edits in most worlds and on average", () => {
  const sig = PROPOSE;
  let margin = 0;
  let better = 0;
  for (const w of WORLDS) {
    const sim = new SimLM({ world: w });
    const params = sim.world.params(sim.skill("toy.answer")!);
    const rng = createRng(`random-edits/${w}`);
    const base = ANSWER.instruction;
    const p0 = instructionTerm(params, base);
    let proposed = 0;
    let random = 0;
    const n = 60;
    for (let i = 0; i < n; i++) {
      const fields = { component_description: "answers questions", scored_instructions: scoredInstructionsText([{ instruction: base, score: 0.4 }]), tip: "" };
      const reply = sim.complete({ model: "sim-l", messages: renderMessages(sig, fields), temperature: 0.7, sampleIndex: i }, { skill: "meta.propose:toy.answer" });
      proposed += instructionTerm(params, String(parseReply(sig.outputs, reply.text).outputs.proposed_instruction)) - p0;
      // A random edit: add a random concept's first phrasing.
      random += instructionTerm(params, `${base} ${CONCEPTS[Math.floor(rng() * CONCEPTS.length)]!.phrasings[0]}`) - p0;
    }
    if (proposed > random) better++;
    margin += (proposed - random) / n / WORLDS.length;
  }
  // A world where the skill has few helpful concepts leaves a noisy proposer little to find.
  assert.ok(better >= 8 && margin > 0.05, `proposals beat random edits in ${better} of 10 worlds, by ${margin} on average`);
});
