import * as path from "node:path";
import { readJson } from "../core/files";
import { REPRODUCTIONS_DIR } from "./suite-config";

/**
 * The paper's reported figures (reproductions/paper.json). Only verified values are filled; a
 * null is shown as "n/a" and never estimated.
 */
export interface PaperFigures {
  paper: string;
  arxiv: string;
  note: string;
  headline: { averageImprovementPercent: number; source: string };
  /** The row of `methods` that is Optimas; every other row is a baseline. */
  optimasMethod: string;
  methods: string[];
  scale: string;
  /** By our system id (the five paper systems). */
  systems: Record<string, { metric: string; values: Record<string, number | null>; source: string }>;
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
  if (!Array.isArray(p.methods) || !p.methods.includes(p.optimasMethod)) bad("optimasMethod", "must be one of the names listed in \"methods\"");
  if (typeof p.systems !== "object" || p.systems === null) bad("systems", "must map system ids to their values");
  for (const [id, s] of Object.entries(p.systems)) {
    if (typeof s.source !== "string" || s.source.length === 0) bad(`systems.${id}.source`, "must say where the values come from (table and arXiv version), even while they are null");
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
 * The paper's gain on one system by the protocol's rule, (Optimas − best baseline) / best
 * baseline, from its table values; null when the system or any needed value is missing.
 */
export function paperGain(paper: PaperFigures, system: string): number | null {
  const values = paper.systems[system]?.values;
  const optimas = values?.[paper.optimasMethod];
  if (values === undefined || optimas === null || optimas === undefined) return null;
  const baselines = Object.entries(values).filter(([m, v]) => m !== paper.optimasMethod && v !== null).map(([, v]) => v as number);
  if (baselines.length === 0) return null;
  const best = Math.max(...baselines);
  return best > 0 ? (optimas - best) / best : null;
}
