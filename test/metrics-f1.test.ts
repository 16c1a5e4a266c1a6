import { test } from "node:test";
import assert from "node:assert/strict";
import { normalizeAnswer, normalizedExactMatch, tokenF1 } from "../src/metrics/f1";

test("ASCII punctuation removed is exactly Python's string.punctuation, deleted without a space", () => {
  const pythonPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
  for (let c = 0x21; c < 0x7f; c++) {
    const ch = String.fromCharCode(c);
    const removed = normalizeAnswer(`x${ch}y`) === "xy";
    assert.equal(removed, pythonPunctuation.includes(ch), `character ${JSON.stringify(ch)}`);
  }
  assert.equal(normalizeAnswer("U.S. well-known"), "us wellknown");
});

test("Unicode punctuation, symbols and invisible format characters are removed too", () => {
  assert.equal(normalizeAnswer("“Quoted” — «guillemets» ¿qué? 50€ ©2020"), "quoted guillemets qué 50 2020");
  assert.equal(normalizeAnswer("zero\u200bwidth soft\u00adhyphen"), "zerowidth softhyphen");
});

test("composed and decomposed accents compare equal; accents stay significant", () => {
  assert.equal(normalizeAnswer("Beyonce\u0301"), normalizeAnswer("Beyoncé"));
  assert.equal(tokenF1("Beyonce\u0301 Knowles", "Beyoncé Knowles"), 1);
  assert.equal(tokenF1("cafe", "café"), 0);
  // NFKC folds compatibility forms: full-width letters and ligatures.
  assert.equal(normalizeAnswer("ＡＢＣ ﬁne"), "abc fine");
});

test("Unicode case folding and whitespace: non-breaking and ideographic spaces separate tokens", () => {
  assert.equal(normalizeAnswer("ÉCOLE\u00a0Normale\u3000Supérieure"), "école normale supérieure");
  assert.equal(normalizeAnswer("a\u0085b\u001fc"), "b c");
});

test("articles a/an/the are removed as whole words only, with Unicode-aware boundaries", () => {
  assert.equal(normalizeAnswer("The Theatre of an Anthem a"), "theatre of anthem");
  // JavaScript's ASCII \b would split "éthe" and remove "the"; Python's \b does not.
  assert.equal(normalizeAnswer("éthe thé the"), "éthe thé");
  assert.equal(normalizeAnswer("the_end"), "theend");
});

test("token F1 counts a multiset overlap", () => {
  assert.equal(tokenF1("the big big cat", "big cat"), 2 * (2 / 3) * 1 / (2 / 3 + 1));
  assert.equal(tokenF1("big big", "big"), 2 * 0.5 * 1 / 1.5);
  assert.equal(tokenF1("Paris, France", "paris"), 2 * 0.5 * 1 / 1.5);
  assert.equal(tokenF1("London", "Paris"), 0);
});

test("yes/no/noanswer differ → 0 even with token overlap; equal → 1", () => {
  assert.equal(tokenF1("yes", "yes"), 1);
  assert.equal(tokenF1("Yes.", "yes"), 1);
  assert.equal(tokenF1("no", "yes"), 0);
  assert.equal(tokenF1("yes it is", "yes"), 0);
  assert.equal(tokenF1("noanswer", "no answer"), 0);
});

test("empty strings score 0, as in the official script, including empty against empty", () => {
  assert.equal(tokenF1("", "Paris"), 0);
  assert.equal(tokenF1("Paris", ""), 0);
  assert.equal(tokenF1("", ""), 0);
  assert.equal(tokenF1("the", "a"), 0);
});

test("normalized exact match", () => {
  assert.equal(normalizedExactMatch("The Eiffel Tower!", "eiffel   tower"), 1);
  assert.equal(normalizedExactMatch("Eiffel", "Eiffel Tower"), 0);
  assert.equal(normalizedExactMatch("", ""), 1);
});
