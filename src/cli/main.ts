import { Command, CommanderError, Option } from "commander";
import { EXIT, FatalRunError, InterruptedError, UsageError } from "../core/failure";
import { DataError } from "../data/errors";
import { DatasetFetchError } from "../data/fetch";
import { DATASET_NAMES } from "../data/registry";
import { BudgetExceededError, BudgetStopError } from "../core/budget";
import { availableSystems, getSystem, SYSTEM_IDS } from "../systems/registry";
import { acceptedValues, defaultSetting } from "../systems/settings";
import { TEST_PASSES } from "../core/test-score";
import { choiceArg, intArg, intListArg, listArg, methodOptionArg, optionArg, rateArg, redisUrlArg, settingArg, withCapOptions, withLMOptions } from "./args";
import { evalCommand } from "./eval";
import { optimizeCommand, resumeCommand } from "./optimize";
import { METHODS } from "../repro/methods";
import { reproduceCommand } from "./reproduce";
import { serveSimCommand } from "./serve-sim";
import { workerCommand } from "./worker";
import { dataCheckCommand, dataFetchCommand } from "./data";

/** The settings of every system, for `--help`: name, accepted values, default (per backend where they differ). */
function settingsHelp(): string {
  const lines = ["", "System settings (--set <name>=<value>; in suite files: \"settings\": { \"<system>\": { \"<name>\": \"<value>\" } }):"];
  for (const entry of availableSystems().map(getSystem)) {
    for (const spec of entry.settings) {
      const offline = defaultSetting(spec, "simlm");
      const online = defaultSetting(spec, "openai");
      const byDefault = offline === online ? offline : `${offline} with --backend simlm, ${online} with --backend openai`;
      lines.push(`  ${entry.id} ${spec.name}: ${spec.description}; ${acceptedValues(spec)} (default: ${byDefault})`);
    }
  }
  return lines.join("\n");
}

/**
 * The `optimas` command. Every error prints one line (`optimas: …`) and exits with its documented
 * code (core/failure.ts EXIT, README "Exit codes"); OPTIMAS_DEBUG=1 or --debug adds the stack trace.
 */
function buildProgram(): Command {
  const program = new Command("optimas")
    .description("Optimas (arXiv 2507.03041) in TypeScript: optimize compound AI systems with globally aligned local rewards.\nOffline runs use SimLM, a seeded surrogate model (never a real LLM).")
    .option("--debug", "print stack traces on errors (or set OPTIMAS_DEBUG=1)")
    // Before the subcommands, so they inherit it: their parse errors reach main() instead of exiting with 1.
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ outputError: (str, write) => write(str.startsWith("error:") ? `optimas: ${str.slice(7)}` : str) });

  withLMOptions(program.command("eval"))
    .description("evaluate a system on a split and print its score: mean over examples of per-example means over passes, sd, standard error and 95% CI over examples")
    .requiredOption("--system <id>", `system id (${SYSTEM_IDS.join(", ")})`, choiceArg("--system", SYSTEM_IDS))
    .addOption(new Option("--split <split>", "dataset split").choices(["train", "val", "test"]).default("test"))
    .addOption(new Option("--backend <backend>", "simlm (offline surrogate) or openai (any OpenAI-compatible endpoint)").choices(["simlm", "openai"]).default("simlm"))
    .option("--set <name=value>", "a setting of the system, repeatable (listed below)", settingArg("--set"))
    .option("--model <name>", "model for every LLM component (default: the system's own)")
    .option("--world <n>", "SimLM world seed", intArg("--world"), 0)
    .option("--seed <n>", "run seed", intArg("--seed"), 0)
    .option("--repeats <n>", `passes over the split (default ${TEST_PASSES}: the test-score definition, README "Test scores")`, intArg("--repeats", 1), TEST_PASSES)
    .option("--limit <n>", "only the first N examples", intArg("--limit", 1))
    .option("--csv <file>", "write one row per example: id, inputs, output, gold, score, pass_scores, failed_passes, failure (README \"Per-example evaluation\")")
    .option("--json", "print one JSON object with the results as the last line")
    .addHelpText("after", settingsHelp)
    .action((opts) => evalCommand(opts));

  withLMOptions(withCapOptions(program.command("optimize")))
    .description("optimize a system with a method; writes a run directory that `optimas resume` can continue")
    .requiredOption("--system <id>", `system id (${SYSTEM_IDS.join(", ")})`, choiceArg("--system", SYSTEM_IDS))
    .requiredOption("--method <id>", `method id (${METHODS.map((m) => m.id).join(", ")})`)
    .addOption(new Option("--preset <preset>", "iteration counts and budgets").choices(["quick", "paper"]).default("quick"))
    .addOption(new Option("--backend <backend>", "simlm or openai").choices(["simlm", "openai"]).default("simlm"))
    .option("--set <name=value>", "a setting of the system, repeatable (listed below)", settingArg("--set"))
    .option("--option <key=value>", "an option of the method over its preset's settings, repeatable; the value is JSON where it parses, else text (e.g. --option promptDemos=0); config.json records every resolved option", optionArg("--option"))
    .option("--model <name>", "model for every LLM component (default: the system's own)")
    .option("--world <n>", "SimLM world seed", intArg("--world"), 0)
    .option("--seed <n>", "run seed", intArg("--seed"), 0)
    .option("--out <dir>", "run directory (default: runs/<system>-<method>-w<world>-s<seed>-<time>)")
    .option("--run-caps <list>", "system-run caps of the equal-budget comparison: the method runs to the largest, and its incumbent at each is test-scored (a rollout over k of n components costs k/n)", intListArg("--run-caps", 1))
    .option("--meta-model <name>", "model of OPRO/MIPRO/Optimas proposals and TextGrad critiques (default: sim-l with --backend simlm; required with --backend openai)")
    .option("--judge-model <name>", "model of the LLM judge (default: the meta-model)")
    .option("--json", "print one JSON object with the results as the last line")
    .addHelpText("after", settingsHelp)
    .action((opts) => optimizeCommand(opts));

  withLMOptions(withCapOptions(program.command("resume")))
    .description("continue a stopped or killed run from its last finished iteration; --max-* raise the caps of a run a cap stopped")
    .argument("<run-dir>", "the run directory")
    .option("--json", "print one JSON object with the results as the last line")
    .action((dir, opts) => resumeCommand(dir, opts));

  withLMOptions(withCapOptions(program.command("reproduce")))
    .description("run a reproduction suite (systems × methods × seeds × worlds) on worker processes; writes results.csv, summary.md, figures/ and runs/, and resumes where a previous call stopped")
    .option("--suite <name>", "suite name (reproductions/suites/<name>.json: quick, paper) or a path to a suite .json file", "quick")
    .option("--systems <ids>", "comma-separated systems instead of the suite's", listArg)
    .option("--methods <ids>", "comma-separated methods instead of the suite's", listArg)
    .option("--seeds <list>", "comma-separated seeds instead of the suite's", intListArg("--seeds"))
    .option("--worlds <list>", "comma-separated SimLM worlds instead of the suite's", intListArg("--worlds"))
    .option("--run-caps <list>", "comma-separated system-run caps instead of the suite's \"runCaps\" (the headline is taken at the largest unless --headline-cap)", intListArg("--run-caps", 1))
    .option("--headline-cap <n>", "the cap whose gain stands beside the paper's headline (one of the run caps)", intArg("--headline-cap", 1))
    .option("--out <dir>", "results directory (default: reproductions/results/<suite>)")
    .option("--workers <n>", "parallel worker processes", intArg("--workers", 1), 2)
    .option("--meta-model <name>", "meta-model of every run instead of the suite's \"metaModel\"")
    .option("--judge-model <name>", "judge model of every run instead of the suite's \"judgeModel\"")
    .option("--option <method.key=value>", "an option of one method over the suite's \"methodOptions\", repeatable (e.g. --option hbc.trainSize=8)", methodOptionArg("--option"))
    .option("--no-png", "skip PNG figures (HTML figures are always written)")
    .option("--queue <url>", "enqueue the unfinished cells on the suite's queue at redis://HOST:PORT[/db] for `optimas worker` processes (--workers is then unused)", redisUrlArg("--queue"))
    .option("--json", "print one JSON object with the headline and paths as the last line")
    .action((opts) => reproduceCommand({ ...opts, json: opts.json === true }));

  program
    .command("worker")
    .description("run the cells that `optimas reproduce --queue` enqueued, on child processes, until stopped; the suite's --out must be the same path here (a shared folder, README \"Scaling\")")
    .requiredOption("--queue <url>", "the suite's queue: redis://HOST:PORT[/db]", redisUrlArg("--queue"))
    .option("--suite <name>", "the suite whose queue to serve (its name, or the path to its .json file)", "quick")
    .option("--concurrency <n>", "cells run at once (child processes)", intArg("--concurrency", 1), 1)
    .option("--cache-url <url>", "share the LLM response cache at redis://HOST:PORT[/db] instead of .cache/lm (for runs whose --cache is not off)", redisUrlArg("--cache-url"))
    .option("--stall-timeout <s>", "seconds after which a lost worker's cell goes back on the queue", intArg("--stall-timeout", 1), 30)
    .action((opts) => workerCommand(opts));

  program
    .command("serve-sim")
    .description("serve SimLM over HTTP: /v1/chat/completions, /v1/embeddings, /v1/models")
    .option("--port <n>", "port (0 picks a free one)", intArg("--port"), 8787)
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--world <n>", "SimLM world seed", intArg("--world"), 0)
    .option("--fault-rate <r>", "share of requests answered with an injected fault (429, 500, 503, dropped, malformed)", rateArg("--fault-rate"), 0)
    .option("--slow-rate <r>", "share of requests answered only after --slow-ms", rateArg("--slow-rate"), 0)
    .option("--slow-ms <n>", "delay of a slow answer in ms", intArg("--slow-ms"), 2000)
    .option("--hang-rate <r>", "share of requests never answered (the client's timeout ends them)", rateArg("--hang-rate"), 0)
    .option("--alias <name=model>", "strict mode: serve <name> as SimLM's <model>, repeatable; other names get 404 model_not_found", settingArg("--alias"))
    .option("--aliases <file>", 'strict mode: a JSON file of aliases, e.g. { "gpt-4o-mini": "sim-m" }')
    .option("--set <system.name=value>", "a system setting as <system>.<name>=<value>, repeatable: the settings that choose the data whose oracles SimLM reads (e.g. stark.source=stark-prime) must match the client's; simlm-version=<v> (no system) picks the served SimLM version", settingArg("--set"))
    .addHelpText("after", settingsHelp)
    .action((opts) => serveSimCommand(opts));

  const data = program.command("data").description("datasets: where they are and whether they are intact");
  data
    .command("check")
    .description("list each dataset file: where it was found and whether its sha256 matches the dataset card; exits 2 when one is missing or altered")
    .option("--data-dir <dir>", "check only this folder of <dataset>/<file> (e.g. before pointing OPTIMAS_DATA_DIR at it)")
    .option("--json", "print one JSON object as the last line")
    .action((opts) => dataCheckCommand(opts));
  data
    .command("fetch")
    .description("download missing dataset files from their canonical sources into datasets/ (needs network access)")
    .argument("[datasets...]", `datasets to fetch (${DATASET_NAMES.join(", ")}; default: all)`)
    .action((names: string[]) => dataFetchCommand(names));

  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    const debug = argv.includes("--debug") || process.env.OPTIMAS_DEBUG === "1";
    const { code, line } = classifyError(err);
    // commander has already printed its own message (or the help it was asked for).
    if (line !== null) process.stderr.write(`optimas: ${debug && err instanceof Error && err.stack ? err.stack : line}\n`);
    return code;
  }
}

/** The documented exit code of an error and the one line that says what happened and what to do. */
export function classifyError(err: unknown): { code: number; line: string | null } {
  const message = err instanceof Error ? err.message : String(err);
  const first = message.split("\n")[0]!;
  if (err instanceof CommanderError) return { code: err.exitCode === 0 ? EXIT.ok : EXIT.usage, line: null };
  if (err instanceof FatalRunError || err instanceof DatasetFetchError) return { code: EXIT.fatal, line: first };
  if (err instanceof BudgetStopError) return { code: EXIT.budget, line: first };
  if (err instanceof BudgetExceededError) return { code: EXIT.budget, line: `${first}; raise the cap and continue with \`optimas resume <run directory>\`` };
  if (err instanceof InterruptedError) return { code: EXIT.interrupted, line: first };
  if (err instanceof UsageError || err instanceof DataError) return { code: EXIT.usage, line: first };
  return { code: EXIT.internal, line: `internal error: ${first} (set OPTIMAS_DEBUG=1 for the stack trace)` };
}

if (require.main === module) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
