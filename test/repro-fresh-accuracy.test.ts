import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freshAccuracyRows, systemAccuracy } from "../src/repro/fresh-accuracy";
import type { ResultRow } from "../src/repro/results";

test("fresh-pair accuracy pools a suite's Optimas runs per component, weighted by pairs", () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "fresh-"));
  const write = (dir: string, perComponent: Record<string, { accuracy: number | null; pairs: number }>) => {
    fs.mkdirSync(path.join(out, dir), { recursive: true });
    fs.writeFileSync(path.join(out, dir, "result.json"), JSON.stringify({ lrf_fresh_pair_accuracy: perComponent }));
  };
  write("runs/s/optimas-s0-w0", { a: { accuracy: 1, pairs: 10 }, b: { accuracy: 0.5, pairs: 4 } });
  write("runs/s/optimas-s0-w1", { a: { accuracy: 0.5, pairs: 30 }, b: { accuracy: null, pairs: 0 } });
  write("runs/s/hbc-s0-w0", { a: { accuracy: 0, pairs: 1000 } });
  const row = (method: string, run_dir: string) => ({ system: "s", method, run_dir }) as ResultRow;
  const rows = [row("optimas", "runs/s/optimas-s0-w0"), row("optimas", "runs/s/optimas-s0-w1"), row("hbc", "runs/s/hbc-s0-w0"), row("optimas", "")];
  const pooled = freshAccuracyRows(out, rows);
  const a = pooled.find((r) => r.component === "a")!;
  assert.deepEqual({ runs: a.runs, pairs: a.pairs }, { runs: 2, pairs: 40 });
  assert.ok(Math.abs(a.accuracy! - (10 + 15) / 40) < 1e-12, "weighted by pairs, not a mean of run accuracies (0.75)");
  const b = pooled.find((r) => r.component === "b")!;
  assert.equal(b.accuracy, 0.5);
  assert.ok(Math.abs(systemAccuracy(pooled).s!.accuracy! - (25 + 2) / 44) < 1e-12);
  fs.rmSync(out, { recursive: true, force: true });
});
