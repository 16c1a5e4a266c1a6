import { UsageError } from "../core/failure";
import { DATA_DIR_ENV } from "../data/paths";
import { checkDatasets, datasetCard, DATASET_NAMES } from "../data/registry";
import { fetchDataset } from "../data/fetch";
import { textTable } from "../display/table";
import { printJsonLast } from "./output";

/** `optimas data check`: where each dataset file is and whether its sha256 matches its card; exits EXIT.usage when one is not ok. */
export async function dataCheckCommand(opts: { dataDir?: string; json?: boolean }): Promise<void> {
  const checks = checkDatasets(DATASET_NAMES, opts.dataDir === undefined ? {} : { dataDir: opts.dataDir });
  const rows = checks.flatMap((d) =>
    d.files.map((f) => ({ dataset: d.dataset, file: f.path, status: f.status, sha256: f.status === "missing" ? "-" : f.status === "ok" ? "ok" : "MISMATCH", found_at: f.foundAt ?? "-" })),
  );
  console.log(textTable(rows));
  const bad = rows.filter((r) => r.status !== "ok");
  if (bad.length === 0) console.log("all dataset files present and intact");
  if (opts.json) printJsonLast({ datasets: checks });
  if (bad.length > 0) {
    const count = (status: string) => rows.filter((r) => r.status === status).length;
    throw new UsageError(`${count("missing")} dataset file(s) missing, ${count("mismatch")} altered (sha256 mismatch); run \`optimas data fetch\`, or set ${DATA_DIR_ENV} to a folder that holds them`);
  }
}

/** `optimas data fetch [datasets...]`: downloads missing files from their canonical sources into datasets/. */
export async function dataFetchCommand(names: readonly string[]): Promise<void> {
  for (const name of names.length > 0 ? names.map((n) => datasetCard(n).name) : DATASET_NAMES) {
    for (const o of await fetchDataset(name)) {
      console.log(`${name}/${o.path}: ${o.status}${o.note ? ` (${o.note})` : ""}`);
    }
  }
}
