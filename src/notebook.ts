/**
 * The notebook toolkit: the one file notebooks import (`import { … } from "./src/notebook"`).
 * A named file, not a folder index, because tslab compiles only statically imported files and
 * resolves no index files. test/notebook-entry.test.ts fails when an export here is used by no
 * notebook, or a notebook imports anything else.
 */
export { loadSystem, componentsTable, evaluate, evaluationSummary, optimize, compare, runsTable, budgetFigure, scoresFigureOf, paperComparison, lrfVersusJudge, collectPairs, pairsTable, trainLocalReward, defineSystem, serveSimLM, reproduce, readSuite, gainTable, gainFigureOf, suiteScoresFigure, trajectoriesFigure } from "./repro/notebook-api";
export type { LoadedSystem, SystemOptions, Evaluation, OptimizeOptions, Run, LocalRewardStudy, OwnSystem, ReproduceOptions, SuiteReport } from "./repro/notebook-api";
export { loadSuite, capScores } from "./frames/suite";
export { suiteTrajectories } from "./frames/trajectory";
export { showTable, showMarkdown, showPlot } from "./display/notebook";
export type { Figure } from "./display/plot";
export { CompoundSystem } from "./core/system";
export { FunctionComponent } from "./core/component";
export { LLMComponent } from "./core/llm-component";
export { tokenF1 } from "./metrics/f1";
export type { ExampleRow } from "./core/per-example";
