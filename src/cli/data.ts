import { checkDatasets, DATASET_NAMES } from "../data/registry";
import { fetchDataset } from "../data/fetch";
import { textTable } from "../display/table";
import { printJsonLast } from "./output";

/** `optimas data check`: where each dataset file is and whether its sha256 matches its card. Exits 1 when one is not ok. */
export async function dataCheckCommand(opts: { json?: boolean }): Promise<void> {
  const checks = checkDatasets();
  const rows = checks.flatMap((d) =>
    d.files.map((f) => ({ dataset: d.dataset, file: f.path, status: f.status, sha256: f.status === "missing" ? "-" : f.status === "ok" ? "ok" : "MISMATCH", found_at: f.foundAt ?? "-" })),
  );
  console.log(textTable(rows));
  const bad = rows.filter((r) => r.status !== "ok");
  console.log(bad.length === 0 ? "all dataset files present and intact" : `${bad.length} file(s) missing or altered: run \`optimas data fetch\` or set OPTIMAS_DATA_DIR`);
  if (opts.json) printJsonLast({ datasets: checks });
  if (bad.length > 0) process.exitCode = 1;
}

/** `optimas data fetch`: downloads missing files from their canonical sources into datasets/. */
export async function dataFetchCommand(): Promise<void> {
  for (const name of DATASET_NAMES) {
    for (const o of await fetchDataset(name)) {
      console.log(`${name}/${o.path}: ${o.status}${o.note ? ` (${o.note})` : ""}`);
    }
  }
}
