import { availableParallelism } from "node:os";
import * as path from "node:path";
import type { CallEnv } from "../../core/component";
import type { Fields } from "../../core/json";
import { LLMComponent, type LLMComponentSpec } from "../../core/llm-component";
import { CompoundSystem } from "../../core/system";
import { BIGCODEBENCH_SUBSETS, bigcodebenchOracle, DEFAULT_TASK_TIME_LIMIT_MS, loadBigCodeBench, type BigCodeBenchSubset } from "../../data/bigcodebench";
import { lazyOracleResolver, type DatasetSplits } from "../../data/splits";
import { passRate } from "../../metrics/pass-rate";
import type { SystemEntry } from "../registry";
import type { SettingSpec, SystemSettings } from "../settings";
import { extractCode, firstPythonBlock } from "./code-blocks";
import { buildExecutor } from "./executor";
import { PythonSandbox, type IsolationRecord } from "./sandbox";

/**
 * BigCodeBench (optimas-systems.md §4): code_generator ∥ unit_test_generator → executor →
 * final_code_generator. Three LLM components with `prompt` variables; the executor runs the
 * initial code against the generated tests in the Python sandbox; the metric runs the final code
 * against the task's hidden tests in the same sandbox (pass@1). Offline: the standard-library
 * tasks of the reference split (228 / 27 / 41); see README.md.
 */

export const CODE_INSTRUCTION = "Give a self-contained Python solution to the following coding problem, in a Markdown code block.";
export const TESTS_INSTRUCTION =
  "You are a Python programmer completing a function. Work through the task: understand what is asked, choose an algorithm, " +
  "sketch it in pseudocode, then write the code. For example, for a function that checks whether any two numbers in a list " +
  "are closer than a threshold, you would compare every pair against the threshold. Then write unit test code for the task " +
  "in a ```python block.";
export const FINAL_INSTRUCTION = "Improve the initial code using the unit tests and their execution results, and return the complete improved solution.";

/** The reference's claude-3-haiku settings (temperature 0.6, 1572 tokens); sim-m stands in offline. */
const CODER_CONFIG = { model: "sim-m", temperature: 0.6, maxTokens: 1572 };

/** An LLM component whose parsed reply passes through a post-processor (code extraction). */
class PostProcessedLLMComponent extends LLMComponent {
  constructor(
    spec: LLMComponentSpec,
    private readonly postProcess: (outputs: Fields) => Fields,
  ) {
    super(spec);
  }

  protected override async forward(inputs: Fields, env: CallEnv): Promise<Fields> {
    return this.postProcess(await super.forward(inputs, env));
  }
}

export const SANDBOX_CACHE_DIR = path.join(".cache", "sandbox");

/** The sandbox the CLI uses: one process per core, results cached on disk across runs. */
export function defaultSandbox(): PythonSandbox {
  return new PythonSandbox({ cacheDir: SANDBOX_CACHE_DIR, concurrency: availableParallelism(), limits: { timeoutMs: DEFAULT_TASK_TIME_LIMIT_MS } });
}

export interface BigCodeBenchSystemOptions {
  /** Runs the executor and the metric (default: `defaultSandbox()`). */
  sandbox?: PythonSandbox;
}

/** The sandbox each built BigCodeBench system executes in, for its run records. */
const sandboxes = new WeakMap<CompoundSystem, PythonSandbox>();

/**
 * The isolation plan a system's code runs under and what it leaves open on this host, for
 * config.json and result.json; undefined for a system that executes no code. Like any execution,
 * it refuses the `none` plan while a credential is set, before the run spends anything.
 */
export async function isolationRecordOf(system: CompoundSystem): Promise<IsolationRecord | undefined> {
  return sandboxes.get(system)?.isolationRecord();
}

export function buildBigCodeBenchSystem(options: BigCodeBenchSystemOptions = {}): CompoundSystem {
  const sandbox = options.sandbox ?? defaultSandbox();
  const question = { name: "question", description: "the coding problem" };
  const codeGenerator = new PostProcessedLLMComponent(
    {
      name: "code_generator",
      description: "Writes a self-contained Python solution for the coding problem.",
      inputs: [question],
      outputs: [{ name: "initial_code", description: "the solution in a ```python block" }],
      skill: "code.generate",
      variable: { kind: "prompt", instruction: CODE_INSTRUCTION },
      config: CODER_CONFIG,
    },
    (o) => ({ initial_code: extractCode(String(o.initial_code ?? "")) }),
  );
  const testGenerator = new PostProcessedLLMComponent(
    {
      name: "unit_test_generator",
      description: "Writes unit tests (a unittest TestCase class named TestCases) for the coding problem.",
      inputs: [question],
      outputs: [{ name: "additional_unit_tests", description: "unit test code in a ```python block" }],
      skill: "code.tests",
      variable: { kind: "prompt", instruction: TESTS_INSTRUCTION },
      config: CODER_CONFIG,
    },
    (o) => ({ additional_unit_tests: firstPythonBlock(String(o.additional_unit_tests ?? "")) }),
  );
  // The reference executes the final reply as is, so a fenced reply always fails; the code is extracted here.
  const finalCodeGenerator = new PostProcessedLLMComponent(
    {
      name: "final_code_generator",
      description: "Improves the initial solution based on the generated unit tests and their execution results.",
      inputs: [
        question,
        { name: "initial_code", description: "initial solution" },
        { name: "additional_unit_tests", description: "tests for evaluation" },
        { name: "execution_result", description: "test results, including errors" },
      ],
      outputs: [{ name: "code", description: "improved solution based on the tests" }],
      skill: "code.finalize",
      variable: { kind: "prompt", instruction: FINAL_INSTRUCTION },
      config: CODER_CONFIG,
    },
    (o) => ({ code: extractCode(String(o.code ?? "")) }),
  );
  const system = new CompoundSystem({
    name: "bigcodebench",
    components: [codeGenerator, testGenerator, buildExecutor(sandbox), finalCodeGenerator],
    metric: async (prediction, example) =>
      passRate(await sandbox.run({ code: String(prediction.code ?? ""), tests: String(example.fields.unit_tests), entryPoint: String(example.fields.entry_point), timeoutMs: typeof example.fields.time_limit_ms === "number" ? example.fields.time_limit_ms : undefined })),
    groundTruthOutputs: (example) => ({ code: example.fields.canonical_code! }),
  });
  sandboxes.set(system, sandbox);
  return system;
}

/** Which tasks to load: the standard-library ones offline (default); see BIGCODEBENCH_SUBSETS for the others. */
export const BIGCODEBENCH_SETTINGS: readonly SettingSpec[] = [
  { name: "subset", description: "which BigCodeBench tasks to load (all needs BigCodeBench's evaluation environment)", accepts: BIGCODEBENCH_SUBSETS, default: "stdlib" },
];

/**
 * The BigCodeBench entry. `loadTasks` (default: `loadBigCodeBench`) runs once per subset, on first
 * use, for both the data and the oracles; registering the oracles loads nothing.
 */
export function createBigCodeBenchEntry(loadTasks: (subset: BigCodeBenchSubset) => DatasetSplits = (subset) => loadBigCodeBench({ subset })): SystemEntry {
  const loaded = new Map<BigCodeBenchSubset, DatasetSplits>();
  const data = (settings: SystemSettings): DatasetSplits => {
    const subset = settings.subset as BigCodeBenchSubset;
    if (!loaded.has(subset)) loaded.set(subset, loadTasks(subset));
    return loaded.get(subset)!;
  };
  return {
    id: "bigcodebench",
    title: "BigCodeBench (3 LLM components + Python executor; standard-library tasks offline)",
    metric: "pass rate",
    settings: BIGCODEBENCH_SETTINGS,
    build: () => buildBigCodeBenchSystem(),
    load: data,
    registerOracles: (store, settings) => store.register("bigcodebench", lazyOracleResolver(() => data(settings), bigcodebenchOracle)),
  };
}

export const bigcodebenchEntry: SystemEntry = createBigCodeBenchEntry();
