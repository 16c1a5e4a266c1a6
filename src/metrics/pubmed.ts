/**
 * PubMedQA yes/no/maybe accuracy under two named extraction rules.
 *
 * - `first-substring` (the reference's rule): the first case-insensitive match of
 *   `\s*(yes|no|maybe)` anywhere in the response, with no word boundaries ("not", "know",
 *   "diagnosis" all read as "no"); with no match the whole response is compared as is.
 * - `answer-line` (the evident intent of the solver's format instruction): the last line that
 *   contains "answer:" (any case, markdown emphasis allowed around it); its label is the first
 *   whole word yes, no or maybe after that colon. No such line, or no label on it: no answer.
 */
export type PubMedExtraction = "first-substring" | "answer-line";

export const PUBMED_EXTRACTIONS: readonly PubMedExtraction[] = ["first-substring", "answer-line"];

/** The label a rule reads from a response (`first-substring` may return the raw response; `answer-line` null). */
export function extractPubMedLabel(response: string, rule: PubMedExtraction): string | null {
  if (rule === "first-substring") {
    const match = /\s*(yes|no|maybe)/i.exec(response);
    return match ? match[1]!.toLowerCase() : response;
  }
  const lines = response.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const at = lines[i]!.search(/answer\s*[*_]*\s*:/i);
    if (at < 0) continue;
    const after = lines[i]!.slice(at).replace(/^answer\s*[*_]*\s*:/i, "");
    const label = /(?<![\p{L}\p{N}])(yes|no|maybe)(?![\p{L}\p{N}])/iu.exec(after);
    return label ? label[1]!.toLowerCase() : null;
  }
  return null;
}

/** 1 when the extracted label equals the gold label (lower-cased and trimmed), else 0. */
export function pubmedAccuracy(response: string, groundtruth: string, rule: PubMedExtraction): number {
  return extractPubMedLabel(response, rule) === groundtruth.toLowerCase().trim() ? 1 : 0;
}
