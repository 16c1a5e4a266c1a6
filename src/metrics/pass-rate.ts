/** How a program and its unit tests ended in the sandbox. */
export type ExecutionStatus = "pass" | "fail" | "error" | "timeout";

/** What the pass-rate metric reads from an execution (the sandbox's result has this shape). */
export interface ExecutionOutcome {
  status: ExecutionStatus;
  /** Tests that passed, and tests that ran. */
  passed: number;
  total: number;
}

/** BigCodeBench pass@1 of one sample: 1 only when every test ran and passed; failure, load error and timeout all score 0. */
export function passRate(outcome: ExecutionOutcome): number {
  return outcome.status === "pass" ? 1 : 0;
}
