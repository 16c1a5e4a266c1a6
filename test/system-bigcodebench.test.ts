import { test } from "node:test";
import assert from "node:assert/strict";
import { RunContext } from "../src/core/context";
import type { CompoundSystem } from "../src/core/system";
import { StageFailures } from "../src/core/run-failures";
import { BIGCODEBENCH_SUBSETS, bigcodebenchOracle, testMethodNames, type BigCodeBenchSubset } from "../src/data/bigcodebench";
import { OracleStore } from "../src/data/oracle";
import { LMClient } from "../src/lm/client";
import { Draws } from "../src/lm/sim/hash";
import { SimLM } from "../src/lm/sim/simlm";
import type { Skill, SkillCall } from "../src/lm/sim/skill";
import { codeFinalize, codeGenerate, codeTests } from "../src/lm/sim/skills/bigcodebench";
import { corruptExpectation, keepTests, mutate, MUTATION_OPERATORS, splitTestSuite } from "../src/lm/sim/skills/python-edits";
import { instructionsFor } from "./sim-instructions";
import { bigcodebenchEntry, buildBigCodeBenchSystem, CODE_INSTRUCTION, createBigCodeBenchEntry, FINAL_INSTRUCTION, TESTS_INSTRUCTION } from "../src/systems/bigcodebench/index";
import { extractCode, firstPythonBlock } from "../src/systems/bigcodebench/code-blocks";
import { describeExecution } from "../src/systems/bigcodebench/executor";
import { PythonSandbox } from "../src/systems/bigcodebench/sandbox";
import { resolveSettings } from "../src/systems/settings";

const OFFLINE = resolveSettings(bigcodebenchEntry, "simlm");
const data = bigcodebenchEntry.load(OFFLINE);
const oracles = new OracleStore();
bigcodebenchEntry.registerOracles(oracles, OFFLINE);
// One memory-cached sandbox for the whole file: repeated programs run once.
const sandbox = new PythonSandbox({ limits: { timeoutMs: 10_000 } });

function context(world: number): RunContext {
  return new RunContext({ lm: new LMClient({ provider: new SimLM({ world, oracles }) }), seed: 0 });
}

const PROGRAM = `import math
def task_func(values, limit):
    """Doubles the values below limit and sums them (e.g. "a + b < c")."""
    total = 0
    for v in values:  # skip v - 1
        if v < limit:
            total += v * 2
    return total
`;
const PROMPT = "import math\ndef task_func(values, limit):\n";
const PROGRAM_TESTS = `import unittest
class TestCases(unittest.TestCase):
    def setUp(self):
        self.values = [1, 2, 3, 10]

    def test_sum(self):
        self.assertEqual(task_func(self.values, 3), 6)

    def test_boundary(self):
        self.assertEqual(task_func([3], 3), 0)

    @unittest.skipIf(False, "never skipped")
    def test_empty(self):
        self.assertEqual(task_func([], 5), 0)
`;

test("code extraction: the longest fenced block or the whole reply; tests only from a ```python block", () => {
  assert.equal(extractCode("Here:\n```python\nx = 1\n```\nand\n```\nlonger = 2\n```"), "longer = 2\n");
  assert.equal(extractCode("def task_func():\n    return 1"), "def task_func():\n    return 1");
  assert.equal(firstPythonBlock("```\nno tag\n```\n```python\nimport unittest\n```"), "import unittest\n");
  assert.equal(firstPythonBlock("Tests: check the output."), "");
});

test("the execution result: status, test count, and per failing test its exception type and place, without volatile text", async () => {
  assert.equal(describeExecution({ status: "pass", passed: 3, total: 3, output: "--- output ---\nhello" }), "status: pass\ntests passed: 3 of 3");
  const wrong = await sandbox.run({ code: "import tempfile\ndef task_func(values, limit):\n    print(tempfile.mkdtemp())\n    return sum(values)\n", tests: PROGRAM_TESTS.replace("self.assertEqual(task_func([3], 3), 0)", "self.assertEqual(task_func([3], 3), {}[task_func])"), entryPoint: "task_func" });
  assert.equal(
    describeExecution(wrong),
    "status: fail\ntests passed: 1 of 3\nFAIL: test_sum (AssertionError at tests.py line 7)\nERROR: test_boundary (KeyError at tests.py line 10)",
  );
  const syntax = await sandbox.run({ code: "def task_func(x)\n    return x\n", tests: PROGRAM_TESTS, entryPoint: "task_func" });
  assert.equal(describeExecution(syntax), "status: error\ntests passed: 0 of 0\nthe program did not load: SyntaxError at solution.py line 1");
  const loadError = await sandbox.run({ code: "def task_func(x):\n    return x\nraise KeyError('/tmp/tmpab12cd34')\n", tests: PROGRAM_TESTS, entryPoint: "task_func" });
  assert.equal(describeExecution(loadError), "status: error\ntests passed: 0 of 0\nthe program did not load: KeyError at solution.py line 3");
  const noTests = await sandbox.run({ code: PROGRAM, tests: "", entryPoint: "task_func" });
  assert.equal(describeExecution(noTests), "status: error\ntests passed: 0 of 0\nthe tests define no unittest.TestCase class named TestCases");
});

test("every mutation operator changes code only, never strings or comments, and each mutant fails the tests", async () => {
  assert.equal((await sandbox.run({ code: PROGRAM, tests: PROGRAM_TESTS, entryPoint: "task_func" })).status, "pass");
  for (const operator of MUTATION_OPERATORS) {
    for (let seed = 0; seed < 5; seed++) {
      const draws = new Draws(seed);
      const mutant = mutate(PROGRAM, PROMPT.length, operator, "task_func", () => draws.next());
      assert.equal(mutant.operator, operator);
      assert.notEqual(mutant.code, PROGRAM);
      // Strings and comments survive every mutation verbatim.
      assert.ok(mutant.code.includes('"""Doubles the values below limit and sums them (e.g. "a + b < c")."""') && mutant.code.includes("# skip v - 1"), mutant.code);
      const result = await sandbox.run({ code: mutant.code, tests: PROGRAM_TESTS, entryPoint: "task_func" });
      assert.notEqual(result.status, "pass", `${operator}: ${mutant.code}`);
      if (operator === "syntax-error") assert.match(result.output, /SyntaxError/);
      if (operator === "missing-entry-point") assert.match(result.output, /defines no function 'task_func'/);
    }
  }
});

test("an operator without a site falls back to the next one; mutations stay out of the given prompt", () => {
  const code = "def task_func(x):\n    return x\n";
  const mutant = mutate(code, "def task_func(x):\n".length, "boundary-flip", "task_func", () => 0);
  assert.equal(mutant.operator, "dropped-statement");
  assert.equal(mutant.code, "def task_func(x):\n    pass\n");
  const offByOne = mutate("def task_func(x=1):\n    return [x] * 3\n", "def task_func(x=1):\n".length, "off-by-one", "task_func", () => 0.9);
  assert.equal(offByOne.code, "def task_func(x=1):\n    return [x] * 4\n");
});

test("test suites split into members that reassemble exactly, on every standard-library task", () => {
  const suite = splitTestSuite(PROGRAM_TESTS)!;
  assert.deepEqual(suite.members.map((m) => m.testName), [undefined, "test_sum", "test_boundary", "test_empty"]);
  const kept = keepTests(suite, new Set(["test_empty"]));
  assert.match(kept, /def setUp[\s\S]*@unittest\.skipIf\(False, "never skipped"\)\n    def test_empty/);
  assert.doesNotMatch(kept, /test_sum|test_boundary/);
  for (const example of [...data.train, ...data.val, ...data.test]) {
    const tests = String(example.fields.unit_tests);
    const s = splitTestSuite(tests);
    assert.ok(s, example.id);
    const names = s.members.flatMap((m) => (m.testName ? [m.testName] : []));
    assert.equal(keepTests(s, new Set(names)), tests, example.id);
    // The loader's regex also counts test functions nested inside test methods.
    assert.ok(names.length > 0 && names.every((n) => testMethodNames(tests).includes(n)), example.id);
  }
});

test("a corrupted expectation changes one value or assertion of a test method, and mostly fails a correct solution", async () => {
  let failed = 0;
  const seeds = 12;
  for (let seed = 0; seed < seeds; seed++) {
    const draws = new Draws(seed);
    const wrong = corruptExpectation(PROGRAM_TESTS, () => draws.next())!;
    const changed = wrong.split("\n").filter((line, i) => line !== PROGRAM_TESTS.split("\n")[i]!);
    assert.equal(changed.length, 1, wrong);
    assert.match(changed[0]!, /self\.assert/);
    if ((await sandbox.run({ code: PROGRAM, tests: wrong, entryPoint: "task_func" })).status === "fail") failed++;
  }
  // Changing an argument rather than the expected value can leave a test passing, as with a real model.
  assert.ok(failed >= seeds / 2, `${failed} of ${seeds} corrupted suites failed`);
  assert.equal(corruptExpectation("x = 1\n", () => 0), undefined);
});

/** A skill call on the task `example` with the given input fields. */
function call(exampleIndex: number, inputs: Record<string, string>, seed = 1): SkillCall {
  const example = data.test[exampleIndex]!;
  return {
    request: { instruction: "", inputNames: Object.keys(inputs), outputNames: [], jsonOutputs: [], demos: [], inputs },
    inputs,
    oracle: oracles.get(example.id),
    model: "sim-m",
    temperature: 0.6,
    draws: new Draws(seed),
  };
}

function output<A>(skill: Skill<A>, c: SkillCall, mode?: string): string {
  const a = skill.analyze(c);
  return String(Object.values(mode === undefined ? skill.good(a, c) : skill.failure(mode, a, c))[0]);
}

test("code.generate: good is the canonical solution, failures are real mutants of it", () => {
  const canonical = String(data.test[0]!.fields.canonical_code);
  const c = call(0, { question: String(data.test[0]!.fields.question) });
  assert.equal(extractCode(output(codeGenerate, c)), `${canonical.trimEnd()}\n`);
  for (const mode of codeGenerate.failureModes) {
    const code = extractCode(output(codeGenerate, c, mode));
    assert.notEqual(code.trimEnd(), canonical.trimEnd(), mode);
  }
});

test("code.tests: good keeps 2-3 of the task's real test methods; failures corrupt them or write no test class", async () => {
  const example = data.test[0]!;
  const canonical = String(example.fields.canonical_code);
  const testNames = (bigcodebenchOracle(example) as { test_names: string[] }).test_names;
  const methods = (tests: string): string[] => splitTestSuite(tests)!.members.flatMap((m) => (m.testName ? [m.testName] : []));
  let wrongFailed = 0;
  for (let seed = 0; seed < 6; seed++) {
    const c = (): SkillCall => call(0, { question: String(example.fields.question) }, seed);
    const good = firstPythonBlock(output(codeTests, c()));
    const kept = methods(good);
    assert.ok(kept.length >= Math.min(2, testNames.length) && kept.length <= 3 && kept.every((n) => testNames.includes(n)), kept.join());
    assert.equal((await sandbox.run({ code: canonical, tests: good, entryPoint: "task_func" })).status, "pass");
    // The same draws pick the same methods; one expected value in them is wrong.
    const wrong = firstPythonBlock(output(codeTests, c(), "wrong-expected"));
    assert.notEqual(wrong, good);
    assert.deepEqual(methods(wrong), kept);
    if ((await sandbox.run({ code: canonical, tests: wrong, entryPoint: "task_func" })).status !== "pass") wrongFailed++;
    assert.doesNotMatch(firstPythonBlock(output(codeTests, c(), "no-test-class")), /class TestCases/);
  }
  assert.ok(wrongFailed >= 3, `wrong tests failed the canonical solution ${wrongFailed} times in 6`);
});

test("code.finalize keeps code that passed in every mode; after a failure good repairs and failures keep or re-mutate", () => {
  const example = data.test[0]!;
  const canonical = String(example.fields.canonical_code);
  const mutant = "def task_func():\n    return 0\n";
  const inputs = (status: string) => ({ question: String(example.fields.question), initial_code: mutant, additional_unit_tests: "", execution_result: `status: ${status}\ntests passed: 0 of 1` });
  const passed = call(0, inputs("pass"));
  for (const mode of [undefined, ...codeFinalize.failureModes]) assert.equal(extractCode(output(codeFinalize, passed, mode)), mutant);
  const failed = call(0, inputs("fail"));
  assert.equal(extractCode(output(codeFinalize, failed)).trimEnd(), canonical.trimEnd());
  assert.equal(extractCode(output(codeFinalize, failed, "unchanged")), mutant);
  const other = extractCode(output(codeFinalize, failed, "other-mutant"));
  assert.ok(other.trimEnd() !== canonical.trimEnd() && other !== mutant);
  assert.ok(codeFinalize.evidence(codeFinalize.analyze(passed), passed) > codeFinalize.evidence(codeFinalize.analyze(failed), failed));
});

test("wiring: code and test generators in parallel from the question, then the executor, then the final generator", () => {
  const system = buildBigCodeBenchSystem({ sandbox });
  assert.deepEqual(system.components.map((c) => c.name), ["code_generator", "unit_test_generator", "executor", "final_code_generator"]);
  assert.deepEqual(system.component("code_generator").inputFields, ["question"]);
  assert.deepEqual(system.component("unit_test_generator").inputFields, ["question"]);
  assert.deepEqual(system.requiredInputFields, ["question"]);
  assert.deepEqual(system.components.map((c) => c.variable?.kind ?? null), ["prompt", "prompt", null, "prompt"]);
  assert.deepEqual(system.finalOutputFields, ["code"]);
});

test("a run executes the generated tests for real and scores the final code on the hidden tests", async () => {
  const system = buildBigCodeBenchSystem({ sandbox });
  for (const example of data.test.slice(0, 3)) {
    const scored = await system.score(example, context(0), new StageFailures("test", "simlm"));
    assert.ok(scored, "the run did not fail");
    const { score, result } = scored;
    const ctxFields = result!.context;
    const executed = await sandbox.run({ code: String(ctxFields.initial_code), tests: String(ctxFields.additional_unit_tests), entryPoint: "task_func" });
    assert.equal(ctxFields.execution_result, describeExecution(executed));
    const hidden = await sandbox.run({ code: String(result!.outputs.code), tests: String(example.fields.unit_tests), entryPoint: "task_func" });
    assert.equal(score, hidden.status === "pass" ? 1 : 0);
  }
});

test("re-evaluating the same candidates spawns no new Python process (the sandbox caches by content)", async () => {
  const system = buildBigCodeBenchSystem({ sandbox });
  const examples = data.test.slice(0, 4);
  const first = await system.evaluate(examples, context(1), { repeats: 2 });
  const executions = sandbox.stats.executions;
  const second = await system.evaluate(examples, context(1), { repeats: 2 });
  assert.equal(sandbox.stats.executions, executions);
  assert.deepEqual(second.scores, first.scores);
});

test("the prompts of the three LLM components change the pass rate", async () => {
  const skills = { code_generator: [codeGenerate, CODE_INSTRUCTION], unit_test_generator: [codeTests, TESTS_INSTRUCTION], final_code_generator: [codeFinalize, FINAL_INSTRUCTION] } as const;
  const prompts = Object.fromEntries(Object.entries(skills).map(([name, [skill, base]]) => [name, instructionsFor(skill as Skill, 0, base)]));
  for (const p of Object.values(prompts)) assert.ok(p.gap > 1, `instruction gap ${p.gap}`);
  const passRate = async (which: "favoured" | "disfavoured"): Promise<number> => {
    const system: CompoundSystem = buildBigCodeBenchSystem({ sandbox });
    for (const [name, p] of Object.entries(prompts)) system.component(name).update({ kind: "prompt", instruction: p[which] });
    return (await system.evaluate(data.test.slice(0, 20), context(0))).mean;
  };
  const favoured = await passRate("favoured");
  const disfavoured = await passRate("disfavoured");
  assert.notEqual(favoured, disfavoured);
  assert.ok(favoured > disfavoured, `favoured ${favoured} vs disfavoured ${disfavoured}`);
});

test("the entry loads each subset's tasks once, on first use, for the data and the oracles; the subset setting takes the loader's subsets", () => {
  const loads: BigCodeBenchSubset[] = [];
  const entry = createBigCodeBenchEntry((subset) => {
    loads.push(subset);
    return { train: [], val: [], test: data.test.slice(0, 2) };
  });
  assert.deepEqual([resolveSettings(entry, "simlm"), resolveSettings(entry, "openai")], [{ subset: "stdlib" }, { subset: "stdlib" }]);
  const store = new OracleStore();
  entry.registerOracles(store, OFFLINE);
  assert.deepEqual(loads, [], "registering oracles must not load data");
  assert.ok(store.get(data.test[0]!.id));
  entry.load(OFFLINE);
  assert.deepEqual(loads, ["stdlib"]);
  for (const subset of BIGCODEBENCH_SUBSETS) entry.load(resolveSettings(entry, "simlm", { subset }));
  assert.deepEqual(loads, [...BIGCODEBENCH_SUBSETS], "one load per subset");
  assert.throws(
    () => resolveSettings(entry, "simlm", { subset: "full" }),
    (err: Error) => err.message.startsWith('system "bigcodebench": setting "subset" must be ') && err.message.includes(BIGCODEBENCH_SUBSETS.join(", ")) && err.message.endsWith('(got "full")'),
  );
  assert.deepEqual([data.train.length, data.val.length, data.test.length], [228, 27, 41]);
});
