import { test } from "node:test";
import assert from "node:assert/strict";
import { exactMatchAccuracy } from "../src/metrics/accuracy";
import { extractPubMedLabel, pubmedAccuracy } from "../src/metrics/pubmed";
import { mrr } from "../src/metrics/mrr";
import { passRate } from "../src/metrics/pass-rate";

test("exact-match accuracy compares text exactly, with no cleanup", () => {
  assert.equal(exactMatchAccuracy("2", "2"), 1);
  for (const wrong of ["2.", " 2", "Item 2", "02"]) assert.equal(exactMatchAccuracy(wrong, "2"), 0, wrong);
  // str(2) == "2" in the reference.
  assert.equal(exactMatchAccuracy(2, "2"), 1);
  assert.equal(exactMatchAccuracy(2, "2.0"), 0);
  assert.equal(exactMatchAccuracy(undefined, "2"), 0);
});

test("first-substring takes the first yes/no/maybe anywhere, even inside words", () => {
  assert.equal(extractPubMedLabel("Answer: yes", "first-substring"), "yes");
  assert.equal(extractPubMedLabel("We do not know.\nAnswer: yes", "first-substring"), "no");
  assert.equal(extractPubMedLabel("The diagnosis is clear.\nAnswer: maybe", "first-substring"), "no");
  assert.equal(extractPubMedLabel("MAYBE, though Yes is tempting", "first-substring"), "maybe");
  assert.equal(extractPubMedLabel("Eyes open", "first-substring"), "yes");
  assert.equal(extractPubMedLabel("Uncertain.", "first-substring"), "Uncertain.");
  assert.equal(pubmedAccuracy("We do not know.\nAnswer: yes", "yes", "first-substring"), 0);
  assert.equal(pubmedAccuracy("Answer: Yes", " YES ", "first-substring"), 1);
});

test("answer-line reads the label of the last line holding 'Answer:'", () => {
  assert.equal(extractPubMedLabel("We do not know.\nAnswer: yes", "answer-line"), "yes");
  assert.equal(extractPubMedLabel("The answer: no\nsome reasoning\n**Answer:** Maybe.", "answer-line"), "maybe");
  assert.equal(extractPubMedLabel("Final answer: YES", "answer-line"), "yes");
  assert.equal(extractPubMedLabel("Answer: noted, unclear", "answer-line"), null);
  assert.equal(extractPubMedLabel("Answer: yes\nAnswer: unsure", "answer-line"), null);
  assert.equal(extractPubMedLabel("yes", "answer-line"), null);
  assert.equal(pubmedAccuracy("Diagnosis aside...\nAnswer: maybe", "maybe", "answer-line"), 1);
  assert.equal(pubmedAccuracy("Diagnosis aside...\nAnswer: maybe", "maybe", "first-substring"), 0);
});

test("MRR ranks by score with ties kept in candidate order", () => {
  assert.equal(mrr([10, 11, 12, 13, 14], [0.1, 0.9, 0.5, 0.3, 0.2], [12]), 1 / 2);
  // Ties: the earlier candidate ranks higher, so gold 13 after tied 11 gets rank 2, before it rank 1.
  assert.equal(mrr([10, 11, 12, 13, 14], [0.1, 0.5, 0.2, 0.5, 0.0], [13]), 1 / 2);
  assert.equal(mrr([10, 13, 12, 11, 14], [0.1, 0.5, 0.2, 0.5, 0.0], [13]), 1);
  assert.equal(mrr([1, 2, 3, 4, 5], [0, 0, 0, 0, 0], [5]), 1 / 5);
  // The first gold found counts.
  assert.equal(mrr([1, 2, 3, 4, 5], [0.5, 0.4, 0.9, 0.1, 0.2], [2, 1]), 1 / 2);
});

test("MRR: no gold → 0, empty inputs → 0, NaN scores rank last, mismatched lengths throw", () => {
  assert.equal(mrr([1, 2, 3], [0.3, 0.2, 0.1], [9]), 0);
  assert.equal(mrr([], [], [1]), 0);
  assert.equal(mrr([1, 2], [0.1, 0.2], []), 0);
  assert.equal(mrr([1, 2, 3], [Number.NaN, 0.1, 0.2], [1]), 1 / 3);
  assert.throws(() => mrr([1, 2, 3], [0.1, 0.2], [1]), /one score per candidate/);
});

test("pass rate is 1 only for a full pass; fail, error (syntax) and timeout score 0", () => {
  assert.equal(passRate({ status: "pass", passed: 3, total: 3 }), 1);
  assert.equal(passRate({ status: "fail", passed: 2, total: 3 }), 0);
  assert.equal(passRate({ status: "error", passed: 0, total: 0 }), 0);
  assert.equal(passRate({ status: "timeout", passed: 2, total: 3 }), 0);
});
