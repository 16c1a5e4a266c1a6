import { createRuntime, lmRecord, type BackendKind } from "../repro/runtime";
import { pickLMSettings, type LMSettings } from "../repro/lm-settings";
import { describeRetryCounts } from "../lm/events";
import { textTable } from "../display/table";
import { SIMLM_VERSION } from "../lm/sim/simlm";
import { formatSettings } from "../systems/settings";
import { evaluateExamples, examplesCsv } from "../core/per-example";
import { writeFileAtomic } from "../core/files";
import { FatalRunError } from "../core/failure";
import { printJsonLast } from "./output";
import { RunBar } from "./progress";

export interface EvalArgs extends LMSettings {
  system: string;
  split: "train" | "val" | "test";
  backend: BackendKind;
  /** `--set` values for the system's settings. */
  set?: Record<string, string>;
  model?: string;
  world: number;
  seed: number;
  repeats: number;
  limit?: number;
  /** Write one row per example here (core/per-example.ts EXAMPLE_COLUMNS). */
  csv?: string;
  json: boolean;
}

export async function evalCommand(args: EvalArgs): Promise<void> {
  const progress = new RunBar(`eval ${args.system}/${args.split}`);
  const rt = createRuntime({
    system: args.system,
    backend: args.backend,
    settings: args.set,
    world: args.world,
    seed: args.seed,
    model: args.model,
    lm: pickLMSettings(args),
    onLMEvent: (e) => progress.lmEvent(e),
  });
  const examples = rt.data[args.split].slice(0, args.limit ?? undefined);
  const started = Date.now();
  // The project's one test-score definition (core/test-score.ts), on whichever split was asked for, with its runs per example.
  const { rows, score: r } = await evaluateExamples(rt.system, examples, rt.ctx.withStage("eval"), { passes: args.repeats, onProgress: (d, t) => progress.update(d, t) }).finally(() => progress.stop());
  if (args.csv) writeFileAtomic(args.csv, examplesCsv(rows));
  const seconds = (Date.now() - started) / 1000;
  const usage = rt.ledger.snapshot().total;
  console.log(`${rt.entry.title} — ${rt.entry.metric} on ${args.split} (${rt.backendLabel})`);
  if (rt.entry.settings.length > 0) console.log(`settings: ${formatSettings(rt.settings)}`);
  console.log(
    textTable([
      { mean: r.mean, sd: r.sd, se: r.se, ci95: r.ci95, n: r.n, passes: r.passes, failures: r.evaluation.failures, llm_calls: usage.calls, seconds },
    ]),
  );
  const lm = lmRecord(rt);
  const retried = describeRetryCounts(lm.retryCounts);
  if (retried) console.log(`endpoint: ${retried}`);
  const failures = r.evaluation.failureCounts;
  console.log(`runs: ${failures.describe()}${failures.reruns > 0 ? `; ${failures.reruns} re-run after a transient failure` : ""}`);
  if (args.csv) console.log(`per-example rows: ${args.csv} (${rows.length} examples)`);
  if (args.json) {
    printJsonLast({
      system: args.system,
      split: args.split,
      backend: args.backend === "simlm" ? SIMLM_VERSION : "openai",
      endpoint: args.backend === "simlm" ? null : rt.backendLabel,
      settings: rt.settings,
      world: rt.world,
      seed: args.seed,
      passes: r.passes,
      mean: r.mean,
      sd: r.sd,
      se: r.se,
      ci95: r.ci95,
      n: r.n,
      failures: r.evaluation.failures,
      failure_counts: failures.toJSON(),
      llm_calls: usage.calls,
      lm,
      wall_s: seconds,
      csv: args.csv ?? null,
    });
  }
  // Failed runs are left out of the mean above, never scored 0; the command still fails so no script takes it for a clean score.
  if (!failures.clean) {
    throw new FatalRunError(`eval ${args.system}/${args.split}`, `${failures.describe()}; the mean leaves the failed runs out`, "fix the endpoint, tool or cache the log names and run the command again");
  }
}
