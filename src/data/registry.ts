import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { UsageError } from "../core/failure";
import { locateDataFile, type DataLocationOptions, type DataRootOrigin } from "./paths";

/** One data file of a dataset card (checksums from shared/datasets/README.md unless noted). */
export interface DataFileCard {
  /** Path inside the dataset's folder. */
  path: string;
  sha256: string;
  bytes: number;
  /** Canonical public source (a commit-pinned raw URL), when the file can be downloaded as is. */
  url?: string;
  /** Why there is no download source (the file is a conversion or derived here). */
  noSource?: string;
}

export interface DatasetCard {
  name: DatasetName;
  description: string;
  license: string;
  files: readonly DataFileCard[];
}

export const DATASET_NAMES = ["amazon", "pubmed", "hotpotqa", "bigcodebench", "stark"] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

const OPTIMAS_RAW = "https://raw.githubusercontent.com/snap-stanford/optimas/e85b6331f41f22f2fca887918f4acdcafc0705f6/examples/data";
const BIGCODEBENCH_RAW = "https://raw.githubusercontent.com/bigcode-project/bigcodebench-annotation/d8a1b7b418b5c73b32e6d9731e062f549818c8d9/hf_data";
const STARK_RAW = "https://raw.githubusercontent.com/snap-stanford/stark/664aff2d548cce3817b8873c564d89ab2bbfc063/data/primekg";
const DERIVED = "derived from BigCodeBench by the project's data work (ids only); copy it from a machine that has shared/datasets/bigcodebench";

export const DATASET_CARDS: readonly DatasetCard[] = [
  {
    name: "amazon",
    description: "Amazon KDD Cup 2024 session-based next-item selection (Optimas examples/data)",
    license: "unknown (not stated by the source repository); research use only",
    files: [
      { path: "session_based_next_item_selection_dataset.csv", bytes: 214550, sha256: "b36ac7c89c8d01663da8f1f0ea747aa09866a2e6a2ea807b18bfeef74d97d472", url: `${OPTIMAS_RAW}/session_based_next_item_selection_dataset.csv` },
      { path: "multilingual_session_based_recommendation_dataset.csv", bytes: 690999, sha256: "b2396e3b3ff4851ceaa402a85ce271982520dd22a19637c56148be479711a4a4", url: `${OPTIMAS_RAW}/multilingual_session_based_recommendation_dataset.csv` },
    ],
  },
  {
    name: "pubmed",
    description: "PubMedQA expert-labelled questions (Optimas examples/data)",
    license: "MIT (PubMedQA)",
    files: [
      { path: "combined_PubMedQA_train.jsonl", bytes: 772609, sha256: "1204dc537ca7c78c3ca49faa53fb005655bca6cf97a6901f2054db9a70921eaa", url: `${OPTIMAS_RAW}/combined_PubMedQA_train.jsonl` },
      { path: "combined_PubMedQA_test.jsonl", bytes: 783180, sha256: "7d831b2e464e01d76dcae4bfc1e8f6fbb23e89d7d5ca60917187649f1bf6a185", url: `${OPTIMAS_RAW}/combined_PubMedQA_test.jsonl` },
    ],
  },
  {
    name: "hotpotqa",
    description: "100-row HotpotQA distractor sample (Optimas examples/data, converted from joblib to JSON Lines)",
    license: "CC BY-SA 4.0 (HotpotQA)",
    files: [
      {
        path: "hotpot-qa-distractor-sample.jsonl",
        bytes: 646223,
        // The card lists only the upstream pickle's checksum; this is the measured sum of the conversion.
        sha256: "f17d6ea7570a913a25ad65f718a63de5c327d2efcd44640afe3e3a70ef239067",
        noSource: "the upstream file is a Python pickle (joblib), which this project never loads; copy the JSON Lines conversion from a machine that has shared/datasets/hotpotqa",
      },
    ],
  },
  {
    name: "bigcodebench",
    description: "BigCodeBench v0.1.0_hf tasks, the Optimas split (seed 42) and the standard-library task list",
    license: "Apache-2.0",
    files: [
      { path: "BigCodeBench.jsonl.gz", bytes: 1084867, sha256: "58142744edaf6036387f8761701f1b353432b0ed33f2edec1de8a59e7431ef7a", url: `${BIGCODEBENCH_RAW}/BigCodeBench.jsonl.gz` },
      // Derived files: the card lists no checksum; these are the measured sums of the shared copies.
      { path: "bigcodebench_v0.1.3_optimas_split_seed42.json", bytes: 6293, sha256: "e0bb11d68209462ffeb108af7cf7b543d13cb86cf1216be5c298264991d93784", noSource: DERIVED },
      { path: "stdlib_task_ids.json", bytes: 6228, sha256: "f2019cb80aa981a290cac983d4726bdecffa9f780b953d8c2d718b30449e5066", noSource: DERIVED },
      { path: "stdlib_task_ids_audit.json", bytes: 17384, sha256: "1f61d33358cf275be28670779661a43c15aa2a9b9421e9ef4fd26b2dcbfa0fac", noSource: DERIVED },
    ],
  },
  {
    name: "stark",
    description: "STaRK-Prime questions and splits (no knowledge base: it cannot be obtained here)",
    license: "CC BY 4.0 (dataset card) / MIT (code)",
    files: [
      { path: "stark_qa/stark_qa.csv", bytes: 2062241, sha256: "7fe54421e179935ef4b33977c06ddc81f8290bff19461152927be029a688e3c1", url: `${STARK_RAW}/stark_qa/stark_qa.csv` },
      { path: "split/train.index", bytes: 30875, sha256: "b828de166d641cc7d2f64001ad868058641de9529e5af36fea2f0a7494349e9c", url: `${STARK_RAW}/split/train.index` },
      { path: "split/val.index", bytes: 11220, sha256: "df7fce5fde2a96bf14a1e9af3b3818dc448ef094bafb3501183ebb2873fb0c17", url: `${STARK_RAW}/split/val.index` },
      { path: "split/test.index", bytes: 14016, sha256: "424d99e7d0ec209ad37361da14b63970d6c3bff27369f597cf3aec6cc28dbb76", url: `${STARK_RAW}/split/test.index` },
    ],
  },
];

export function datasetCard(name: string): DatasetCard {
  const card = DATASET_CARDS.find((c) => c.name === name);
  if (!card) throw new UsageError(`unknown dataset "${name}"; known datasets: ${DATASET_NAMES.join(", ")}`);
  return card;
}

export function sha256Hex(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

export type FileStatus = "ok" | "missing" | "mismatch";

export interface FileCheck {
  dataset: DatasetName;
  path: string;
  status: FileStatus;
  /** Where the file was found (the first match of the data roots), if anywhere. */
  foundAt?: string;
  origin?: DataRootOrigin;
  expectedSha256: string;
  actualSha256?: string;
}

export interface DatasetCheck {
  dataset: DatasetName;
  ok: boolean;
  files: FileCheck[];
}

/** Where each file of each dataset is found and whether its sha256 matches the card. */
export function checkDatasets(names: readonly string[] = DATASET_NAMES, options: DataLocationOptions = {}): DatasetCheck[] {
  return names.map((name) => {
    const card = datasetCard(name);
    const files = card.files.map((file): FileCheck => {
      const found = locateDataFile(card.name, file.path, options);
      const base = { dataset: card.name, path: file.path, expectedSha256: file.sha256 };
      if (!found) return { ...base, status: "missing" };
      const actual = sha256Hex(readFileSync(found.path));
      return { ...base, status: actual === file.sha256 ? "ok" : "mismatch", foundAt: found.path, origin: found.origin, actualSha256: actual };
    });
    return { dataset: card.name, ok: files.every((f) => f.status === "ok"), files };
  });
}
