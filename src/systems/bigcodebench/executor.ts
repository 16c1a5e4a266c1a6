import { FunctionComponent } from "../../core/component";
import type { PythonSandbox, SandboxResult } from "./sandbox";

const TEST_BLOCK = /^(FAIL|ERROR|UNEXPECTED SUCCESS): (\w+)\n([\s\S]*?)(?=^(?:FAIL|ERROR|UNEXPECTED SUCCESS): \w+\n|^--- output ---$|(?![\s\S]))/gm;

/** "ValueError at solution.py line 4", from a traceback: its exception type and the last line of the program it passed through. */
function whereAndWhat(traceback: string): string {
  const lines = traceback.trim().split("\n");
  const type = /^([A-Za-z_][\w.]*)(?::|$)/.exec(lines[lines.length - 1]!.trim())?.[1] ?? "an exception";
  const frames = [...traceback.matchAll(/File "(solution\.py|tests\.py)", line (\d+)/g)];
  const last = frames[frames.length - 1];
  return last ? `${type} at ${last[1]} line ${last[2]}` : type;
}

/**
 * The execution result a downstream model reads: a status line (`status: pass|fail|error|timeout`),
 * the test count, then per failing test its name, exception type and place, or why the program
 * did not load. Exception messages, tracebacks and printed output are left out: they hold temp-file
 * names, addresses and unseeded random values that differ from run to run, and a result that
 * differs would change every later draw and cache key, so the same seeds would not give the same
 * scores.
 */
export function describeExecution(result: SandboxResult): string {
  const lines = [`status: ${result.status}`, `tests passed: ${result.passed} of ${result.total}`];
  const detail = result.output.split("\n--- output ---")[0]!.trim();
  const failures = [...detail.matchAll(TEST_BLOCK)].map((m) => `${m[1]}: ${m[2]} (${m[1] === "UNEXPECTED SUCCESS" ? "expected to fail" : whereAndWhat(m[3]!)})`);
  if (failures.length > 0) lines.push(...failures);
  else if (detail.startsWith("Traceback") || /^\s*File "/.test(detail)) lines.push(`the program did not load: ${whereAndWhat(detail)}`);
  else if (detail !== "" && result.status !== "pass") lines.push(detail.split("\n")[0]!);
  return lines.join("\n");
}

/**
 * The executor (no LLM, not optimizable): runs the initial code against the generated tests in the
 * sandbox. The reference passes on only a 1.0/0.0 pass rate; here the result also says which tests
 * failed and how, as the final code generator's input description promises ("test results,
 * including errors"). The sandbox caches by content, so re-running the same candidates costs nothing.
 */
export function buildExecutor(sandbox: PythonSandbox): FunctionComponent {
  return new FunctionComponent(
    {
      name: "executor",
      description: "Runs the initial code against the generated unit tests in a Python sandbox and reports the outcome.",
      inputFields: ["initial_code", "additional_unit_tests"],
      outputFields: ["execution_result"],
    },
    async (inputs) => {
      const result = await sandbox.run({ code: String(inputs.initial_code ?? ""), tests: String(inputs.additional_unit_tests ?? ""), entryPoint: "task_func" });
      return { execution_result: describeExecution(result) };
    },
  );
}
