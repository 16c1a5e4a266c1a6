import * as path from "node:path";
import { readJson } from "../core/files";
import { REPRODUCTIONS_DIR } from "./suite-config";

/**
 * The paper's reported figures (reproductions/paper.json), the one source every table, figure and
 * notebook reads them from. The headline is verified; each system's values say whether they are
 * second-hand (`secondHand`, with their `source`) and are labelled so wherever they are shown. A
 * value not found is null, shown as "n/a" and never estimated.
 */
export interface PaperFigures {
  paper: string;
  arxiv: string;
  note: string;
  headline: { averageImprovementPercent: number; source: string; secondHand: boolean };
  /** The row of `methods` that is Optimas; every other row is a baseline. */
  optimasMethod: string;
  methods: string[];
  scale: string;
  /** By our system id (the five paper systems). */
  systems: Record<string, PaperSystem>;
}

export interface PaperSystem {
  metric: string;
  /** By method name (of `methods`), in the paper's scale; null: not found. */
  values: Record<string, number | null>;
  /** The gain of Optimas the source reports for this system, in percent; null: not reported. */
  reportedGainPercent: number | null;
  /** True when the values come from a copy of the paper's table, not the paper itself. */
  secondHand: boolean;
  source: string;
  comment?: string;
}

export const PAPER_FILE = path.join(REPRODUCTIONS_DIR, "paper.json");

export function parsePaperFigures(raw: unknown, file: string): PaperFigures {
  const bad = (field: string, problem: string): never => {
    throw new Error(`${file}: field "${field}" ${problem}`);
  };
  const p = raw as PaperFigures;
  if (typeof p !== "object" || p === null) throw new Error(`${file}: must be a JSON object`);
  if (typeof p.headline?.averageImprovementPercent !== "number") bad("headline.averageImprovementPercent", "must be the paper's headline number in percent");
  if (typeof p.headline.source !== "string" || p.headline.source.length === 0) bad("headline.source", "must name where the headline comes from");
  if (typeof p.headline.secondHand !== "boolean") bad("headline.secondHand", "must say whether the headline is second-hand (true or false)");
  if (!Array.isArray(p.methods) || !p.methods.includes(p.optimasMethod)) bad("optimasMethod", "must be one of the names listed in \"methods\"");
  if (typeof p.systems !== "object" || p.systems === null) bad("systems", "must map system ids to their values");
  for (const [id, s] of Object.entries(p.systems)) {
    if (typeof s.source !== "string" || s.source.length === 0) bad(`systems.${id}.source`, "must say where the values come from (table and arXiv version), even while they are null");
    if (typeof s.secondHand !== "boolean") bad(`systems.${id}.secondHand`, "must say whether the values are second-hand (true or false)");
    if (s.reportedGainPercent !== null && typeof s.reportedGainPercent !== "number") bad(`systems.${id}.reportedGainPercent`, "must be a number (percent) or null (not reported)");
    for (const [method, v] of Object.entries(s.values ?? bad(`systems.${id}.values`, "is missing"))) {
      if (!p.methods.includes(method)) bad(`systems.${id}.values.${method}`, `is not a method listed in "methods"`);
      if (v !== null && typeof v !== "number") bad(`systems.${id}.values.${method}`, "must be a number or null (not transcribed)");
    }
  }
  return p;
}

export function loadPaperFigures(file = PAPER_FILE): PaperFigures {
  return parsePaperFigures(readJson<unknown>(file, "the paper's figures"), file);
}

/**
 * The paper's gain on one system, a ratio (0.143 = 14.3%): the gain the source reports, else the
 * protocol's rule, (Optimas − best baseline) / best baseline, from the table's values when every
 * baseline's value is known (with one missing, the best baseline may be the missing one: PubMedQA's
 * reported +1.8% is against a baseline the second-hand table lacks); null otherwise.
 */
export function paperGain(paper: PaperFigures, system: string): number | null {
  const s = paper.systems[system];
  if (s === undefined) return null;
  if (s.reportedGainPercent !== null) return s.reportedGainPercent / 100;
  const optimas = s.values[paper.optimasMethod];
  const baselines = Object.entries(s.values).filter(([m]) => m !== paper.optimasMethod).map(([, v]) => v);
  if (optimas === null || optimas === undefined || baselines.length === 0 || baselines.some((v) => v === null)) return null;
  const best = Math.max(...(baselines as number[]));
  return best > 0 ? (optimas - best) / best : null;
}

/** Whether any of the paper's per-system figures is second-hand: every place that shows them says so. */
export function isSecondHand(paper: PaperFigures): boolean {
  return Object.values(paper.systems).some((s) => s.secondHand);
}
