import type { Fields, Json } from "../../../core/json";
import { defineSkill, type Skill, type SkillCall, type SkillDemo } from "../skill";
import { corruptExpectation, keepTests, mutate, MUTATION_OPERATORS, splitTestSuite, type MutationOperator, type Uniform } from "./python-edits";

/**
 * Skills of the BigCodeBench system (src/systems/bigcodebench; the executor is real Python, not a
 * skill). Oracle (data/bigcodebench.ts): `{ canonical_code, code_prompt, unit_tests, entry_point,
 * test_names, … }`. Every reply carries its code in a ```python fence, as chat models write it.
 *
 * - code.generate reads `question`, writes `initial_code`. Good: the canonical solution.
 *   Failures: real mutants of it (python-edits.ts): an operator swap, an off-by-one constant, a
 *   boundary flip, a statement dropped, a syntax error, or `task_func` renamed away.
 * - code.tests reads `question`, writes `additional_unit_tests`. Good: the task's `TestCases`
 *   class with 2–3 of its real test methods (setUp and helpers kept). Failures: one expected value
 *   made wrong, or no test class at all (an implementation instead of tests, or tests described
 *   in prose).
 * - code.finalize reads `question`, `initial_code`, `additional_unit_tests` and
 *   `execution_result`. When the result says the tests passed it keeps the code whatever the
 *   draw. Otherwise good repairs (the canonical solution); failures return the same code
 *   unchanged or another mutant. Wrong generated tests can therefore break correct code.
 *   E from the result: +1.0 passed, +0.3 failing tests (named, with their exception and place),
 *   0 a load error, −0.3 a timeout, −0.5 no usable tests or an unreadable result.
 * - simlm@2 forms: a correct program may end with a comment line (the code is the same program);
 *   the pass-rate metric is all-or-nothing, so there is no near miss beyond the mutants.
 */

interface CodeOracle {
  canonical: string;
  /** Where the solution starts in `canonical` (after the given prompt). */
  solutionStart: number;
  entryPoint: string;
  unitTests: string;
}

function codeOracle(oracle: Json | undefined): CodeOracle | undefined {
  if (oracle === null || typeof oracle !== "object" || Array.isArray(oracle)) return undefined;
  const { canonical_code: canonical, code_prompt: prompt, entry_point: entryPoint, unit_tests: unitTests } = oracle;
  if (typeof canonical !== "string" || typeof unitTests !== "string") return undefined;
  const solutionStart = typeof prompt === "string" && canonical.startsWith(prompt) ? prompt.length : 0;
  return { canonical, solutionStart, entryPoint: typeof entryPoint === "string" ? entryPoint : "task_func", unitTests };
}

const fence = (code: string): string => `\`\`\`python\n${code.trimEnd()}\n\`\`\``;

/** The code of the first fenced block, or the whole text when there is none. */
function fencedCode(text: string): string {
  return /```[\w-]*\n([\s\S]*?)```/.exec(text)?.[1] ?? text;
}

/** The function stub the task asks to start from (what a model without the solution writes). */
function stub(question: string): string {
  const starter = /```\n?([\s\S]*?)```/.exec(question)?.[1]?.trimEnd() ?? "def task_func():";
  return `${starter}\n    pass`;
}

const defines = (code: string, name: string): boolean => new RegExp(`^\\s*def\\s+${name}\\s*\\(`, "m").test(code);

const uniform = (call: SkillCall): Uniform => () => call.draws.next();

const CODE_FORMAT_CONCEPTS = ["follow-format", "no-preamble"];
const CLOSING_COMMENT = "\n\n# The function above implements the task as specified.";

/** simlm@2: the same program with a closing comment, another surface form a model writes. */
function commented(field: string, code: string): Fields[] {
  return [{ [field]: fence(`${code.trimEnd()}${CLOSING_COMMENT}`) }];
}
const EMPTY_TASK = -1.0;

interface GenerateAnalysis {
  question: string;
  oracle: CodeOracle | undefined;
}

function analyzeTask(call: SkillCall): GenerateAnalysis {
  return { question: call.inputs.question ?? "", oracle: codeOracle(call.oracle) };
}

export const codeGenerate: Skill<GenerateAnalysis> = defineSkill({
  name: "code.generate",
  domain: "code",
  failureModes: MUTATION_OPERATORS,
  formatConcepts: CODE_FORMAT_CONCEPTS,
  traits: ["code"],
  analyze: analyzeTask,
  evidence: (a) => (a.question.trim() === "" ? EMPTY_TASK : 0),
  good(a) {
    return { initial_code: fence(a.oracle ? a.oracle.canonical : stub(a.question)) };
  },
  variants(a) {
    return a.oracle ? commented("initial_code", a.oracle.canonical) : [];
  },
  failure(mode, a, call) {
    if (!a.oracle) return { initial_code: fence(stub(a.question)) };
    const o = a.oracle;
    return { initial_code: fence(mutate(o.canonical, o.solutionStart, mode as MutationOperator, o.entryPoint, uniform(call)).code) };
  },
  checkDemo(demo: SkillDemo) {
    return defines(fencedCode(demo.outputs.initial_code ?? ""), "task_func");
  },
});

/** 2 or 3 of the suite's test methods (all when it has fewer), in source order. */
function realTests(unitTests: string, u: Uniform): string | undefined {
  const suite = splitTestSuite(unitTests);
  if (!suite) return undefined;
  const names = suite.members.flatMap((m) => (m.testName === undefined ? [] : [m.testName]));
  const count = Math.min(names.length, 2 + Math.floor(u() * 2));
  const chosen = new Set<string>();
  while (chosen.size < count) chosen.add(names[Math.floor(u() * names.length)]!);
  return keepTests(suite, chosen);
}

const PROSE_TESTS =
  "To test this function, check the return value on a typical input, on an empty input, and that invalid arguments raise an exception. Each test should compare the result with the value the specification implies.";

export const codeTests: Skill<GenerateAnalysis> = defineSkill({
  name: "code.tests",
  domain: "code",
  failureModes: ["wrong-expected", "no-test-class"],
  formatConcepts: CODE_FORMAT_CONCEPTS,
  traits: ["code", "tests"],
  analyze: analyzeTask,
  evidence: (a) => (a.question.trim() === "" ? EMPTY_TASK : 0),
  good(a, call) {
    const tests = a.oracle ? realTests(a.oracle.unitTests, uniform(call)) : undefined;
    return { additional_unit_tests: tests === undefined ? PROSE_TESTS : fence(tests) };
  },
  failure(mode, a, call) {
    const u = uniform(call);
    const tests = a.oracle ? realTests(a.oracle.unitTests, u) : undefined;
    const wrong = mode === "wrong-expected" && tests !== undefined ? corruptExpectation(tests, u) : undefined;
    if (wrong !== undefined) return { additional_unit_tests: fence(wrong) };
    // No test class: the function itself (what the reference's default preamble asks for), or prose.
    if (u() < 0.5) return { additional_unit_tests: PROSE_TESTS };
    return { additional_unit_tests: fence(a.oracle ? a.oracle.canonical : stub(a.question)) };
  },
  checkDemo(demo: SkillDemo) {
    const tests = /```python\n([\s\S]*?)```/.exec(demo.outputs.additional_unit_tests ?? "")?.[1] ?? "";
    return /^class\s+TestCases\b/m.test(tests) && /^\s+def\s+test\w*\s*\(/m.test(tests);
  },
});

type ExecutionStatus = "pass" | "fail" | "error" | "timeout" | "unknown";

/** The status line the executor writes first (`status: pass`, …). */
function executionStatus(result: string): ExecutionStatus {
  const status = /^status:\s*(\w+)/m.exec(result)?.[1];
  return status === "pass" || status === "fail" || status === "error" || status === "timeout" ? status : "unknown";
}

const FINALIZE_EVIDENCE: Record<ExecutionStatus, number> = { pass: 1.0, fail: 0.3, error: 0, timeout: -0.3, unknown: -0.5 };
const NO_TESTS_EVIDENCE = -0.5;

interface FinalizeAnalysis {
  oracle: CodeOracle | undefined;
  initial: string;
  status: ExecutionStatus;
  /** The tests were unusable (no TestCases), so the result says nothing about the code. */
  noTests: boolean;
}

export const codeFinalize: Skill<FinalizeAnalysis> = defineSkill({
  name: "code.finalize",
  domain: "code",
  failureModes: ["unchanged", "other-mutant"],
  formatConcepts: CODE_FORMAT_CONCEPTS,
  traits: ["code"],
  analyze(call) {
    const result = call.inputs.execution_result ?? "";
    return {
      oracle: codeOracle(call.oracle),
      initial: call.inputs.initial_code ?? "",
      status: executionStatus(result),
      noTests: /no unittest\.TestCase class named TestCases|TestCases has no test methods/.test(result),
    };
  },
  evidence: (a) => (a.noTests ? NO_TESTS_EVIDENCE : FINALIZE_EVIDENCE[a.status]),
  good(a) {
    if (a.status === "pass" || !a.oracle) return { code: fence(a.initial) };
    return { code: fence(a.oracle.canonical) };
  },
  variants(a) {
    return a.status === "pass" || !a.oracle ? [] : commented("code", a.oracle.canonical);
  },
  failure(mode, a, call) {
    if (a.status === "pass" || mode === "unchanged" || !a.oracle) return { code: fence(a.initial) };
    const o = a.oracle;
    const u = uniform(call);
    const operator = MUTATION_OPERATORS[Math.floor(u() * MUTATION_OPERATORS.length)]!;
    return { code: fence(mutate(o.canonical, o.solutionStart, operator, o.entryPoint, u).code) };
  },
  checkDemo(demo: SkillDemo) {
    const code = fencedCode(demo.outputs.code ?? "");
    if (!defines(code, "task_func")) return false;
    // After passing tests a correct demo keeps the code it was given.
    return executionStatus(demo.inputs.execution_result ?? "") !== "pass" || code.trim() === (demo.inputs.initial_code ?? "").trim();
  },
});

export const BIGCODEBENCH_SKILLS: readonly Skill[] = [codeGenerate, codeTests, codeFinalize];
