import type { Json } from "../core/json";
import type { Featurizer, RewardInput, StructuredFeaturizerConfig } from "./types";
import { OVERLAP_DIM, writeOverlapFeatures } from "./overlap";
import { charNgrams, fnv1a, mix32, valueText } from "./tokens";
import { writeCounts } from "./signed-hashing";

export interface StructuredFeaturizerOptions {
  /**
   * The output block has 2^hashBits slots, the context and co-occurrence blocks 2^(hashBits-1)
   * each (default 11: 4111 features in all, as many as the hashed n-gram featurizer's default).
   */
  hashBits?: number;
}

/** The feature set this class computes; a saved config with another version is refused, never reinterpreted. */
export const STRUCTURED_FEATURIZER_VERSION = 1;

/** Longest n-gram, over whole fields and over single lines. */
const MAX_N = 4;
/** Lines past this index share one namespace: rank and list positions matter most near the top. */
const MAX_LINE = 15;
/** Token distance within which two tokens of one line form an ordered pair. */
const PAIR_WINDOW = 6;
/** Co-occurrence crosses this many distinct content words of each input field… */
const COOC_INPUT_WORDS = 24;
/** …with this many distinct content words of each output field. */
const COOC_OUTPUT_WORDS = 32;

const STOPWORDS = new Set("the a an of to in and or is are was were be for with on at by it its this that as from not no".split(" "));

/**
 * Offline, deterministic features that see order and structure, in three hashed blocks and the
 * dense overlap features: `[context: 2^(b-1)][outputs: 2^b][input×output: 2^(b-1)][overlap]`.
 *
 * Outputs, per field (namespaced by field name):
 * - word and punctuation n-grams up to 4 over the whole field (a line break is a token), so
 *   "rank 1 … shares boots" and "rank 4 … shares boots" differ;
 * - the same n-grams per line, namespaced by the line's index, so the first line of a ranking or
 *   list is told from the last; list values are one element per line, objects one key per line;
 * - an abstracted copy where a content word found in the inputs becomes `<in>` and a number of 3+
 *   digits `<num>`: its n-grams and its ordered pairs within a line (up to 6 tokens apart) carry
 *   "the top-ranked line names what the session asked for" across examples with different words;
 * - each line's abstracted words crossed with how many input words the line copies (0–3+);
 * - character 3-grams of words, for morphology.
 *
 * Context (description and inputs): word unigrams and bigrams per field. Input×output: each
 * output word also present in an input field (namespaced by both fields), and hashed pairs of an
 * input field's first content words with an output field's, so the model can learn which output
 * words answer which input words. Counts are log-scaled and each block L2-normalized, as in the
 * hashed n-gram featurizer. Tokens are hashed once per text; n-grams combine integer hashes.
 */
export class StructuredNgramFeaturizer implements Featurizer {
  readonly dim: number;
  readonly config: StructuredFeaturizerConfig;
  private readonly outputSize: number;
  private readonly sideSize: number;

  constructor(options: StructuredFeaturizerOptions = {}) {
    const hashBits = options.hashBits ?? 11;
    if (!Number.isInteger(hashBits) || hashBits < 4 || hashBits > 20) {
      throw new Error(`structured featurizer: hashBits must be an integer in 4..20 (got ${hashBits}); 11 is the default`);
    }
    this.config = { kind: "structured-ngrams", version: STRUCTURED_FEATURIZER_VERSION, hashBits };
    this.outputSize = 2 ** hashBits;
    this.sideSize = 2 ** (hashBits - 1);
    this.dim = this.outputSize + 2 * this.sideSize + OVERLAP_DIM;
  }

  async featurize(batch: readonly RewardInput[]): Promise<Float32Array> {
    const out = new Float32Array(batch.length * this.dim);
    batch.forEach((input, row) => this.writeRow(input, out, row * this.dim));
    return out;
  }

  private writeRow(input: RewardInput, out: Float32Array, base: number): void {
    const context = new BlockWriter(this.sideSize);
    const outputs = new BlockWriter(this.outputSize);
    const cooccurrence = new BlockWriter(this.sideSize);

    context.addContext("desc", structuredTokens(input.description));
    const inputFields = Object.entries(input.inputs).map(([name, value]) => ({ name, tokens: structuredTokens(fieldText(value)) }));
    for (const f of inputFields) context.addContext(`in/${f.name}`, f.tokens);
    const inputWordsByField = inputFields.map((f) => ({ name: f.name, words: new Set(f.tokens.filter(isContentWord)) }));
    const inputWords = new Set(inputWordsByField.flatMap((f) => [...f.words]));

    for (const [name, value] of Object.entries(input.outputs)) {
      const lines = fieldText(value).split("\n").map(structuredTokens);
      outputs.addOutputField(`out/${name}`, lines, inputWords);
      const outWords = distinct(lines.flat().filter(isContentWord));
      for (const g of inputWordsByField) cooccurrence.addCooccurrence(`${g.name}>${name}`, g.words, outWords);
    }

    context.write(out, base);
    outputs.write(out, base + this.sideSize);
    cooccurrence.write(out, base + this.sideSize + this.outputSize);
    writeOverlapFeatures(input, out, base + 2 * this.sideSize + this.outputSize);
  }
}

/** Lower-cased runs of letters, digits and underscores, and every other non-space character alone. */
const STRUCTURED_TOKEN = /[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu;

export function structuredTokens(text: string): string[] {
  return text.toLowerCase().match(STRUCTURED_TOKEN) ?? [];
}

/** A field as lines: strings verbatim, list elements one per line, object entries one `key: value` per line. */
function fieldText(value: Json): string {
  if (Array.isArray(value)) return value.map(valueText).join("\n");
  if (value !== null && typeof value === "object") return Object.entries(value).map(([k, v]) => `${k}: ${valueText(v)}`).join("\n");
  return valueText(value);
}

function isContentWord(token: string): boolean {
  return token.length >= 3 && /^[\p{L}_]/u.test(token) && !STOPWORDS.has(token);
}

function distinct(tokens: readonly string[]): string[] {
  return [...new Set(tokens)];
}

const COPIED = "<in>";
const LONG_NUMBER = "<num>";
const COPIED_HASH = fnv1a(COPIED);
/** Stands between lines in whole-field n-grams, so n-grams across a line break are their own. */
const LINE_BREAK_HASH = fnv1a("\n");
const WORDLIKE = /^[\p{L}\p{N}_]/u;

/** Token hashes of a sequence. */
function hashes(tokens: readonly string[]): Uint32Array {
  return Uint32Array.from(tokens, (t) => fnv1a(t));
}

function joinLines(lines: readonly Uint32Array[]): Uint32Array {
  const out = new Uint32Array(lines.reduce((n, line) => n + line.length, 0) + Math.max(0, lines.length - 1));
  let at = 0;
  lines.forEach((line, i) => {
    if (i > 0) out[at++] = LINE_BREAK_HASH;
    out.set(line, at);
    at += line.length;
  });
  return out;
}

/** Order-sensitive combination of two 32-bit hashes. */
function combine(a: number, b: number): number {
  return mix32((Math.imul(a, 0x9e3779b1) ^ b) >>> 0);
}

/**
 * One hashed block being filled with this featurizer's feature families. Counts live in a typed
 * array with the slots listed in first-touch order (a Map's order, without its cost per feature).
 */
class BlockWriter {
  private readonly counts: Int32Array;
  private readonly isTouched: Uint8Array;
  private readonly touched: number[] = [];

  constructor(private readonly size: number) {
    this.counts = new Int32Array(size);
    this.isTouched = new Uint8Array(size);
  }

  addContext(namespace: string, tokens: readonly string[]): void {
    this.addNgrams(fnv1a(`ctx\u0000${namespace}`), hashes(tokens), 2);
  }

  addOutputField(namespace: string, lines: readonly string[][], inputWords: ReadonlySet<string>): void {
    const lineHashes = lines.map(hashes);
    const absHashes = lines.map((line) => hashes(line.map((t) => abstractToken(t, inputWords))));
    this.addNgrams(fnv1a(`grams\u0000${namespace}`), joinLines(lineHashes), MAX_N);
    this.addNgrams(fnv1a(`abs\u0000${namespace}`), joinLines(absHashes), MAX_N);
    const pairNs = fnv1a(`pairs\u0000${namespace}`);
    const copiedNs = fnv1a(`copied\u0000${namespace}`);
    lines.forEach((line, i) => {
      this.addNgrams(fnv1a(`line\u0000${namespace}\u0000${Math.min(i, MAX_LINE)}`), lineHashes[i]!, MAX_N);
      const abs = absHashes[i]!;
      for (let a = 0; a < abs.length; a++) {
        for (let b = a + 2; b < Math.min(abs.length, a + PAIR_WINDOW + 1); b++) this.add(combine(combine(pairNs, abs[a]!), abs[b]!));
      }
      const lineCopiedNs = combine(copiedNs, Math.min(3, abs.filter((h) => h === COPIED_HASH).length));
      for (const h of abs) this.add(combine(lineCopiedNs, h));
    });
    const charNs = fnv1a(`chars\u0000${namespace}`);
    for (const line of lines) for (const t of line) if (WORDLIKE.test(t)) for (const g of charNgrams(t, 3)) this.add(combine(charNs, fnv1a(g)));
  }

  addCooccurrence(namespace: string, inputWords: ReadonlySet<string>, outputWords: readonly string[]): void {
    const sharedNs = fnv1a(`shared\u0000${namespace}`);
    for (const w of outputWords) if (inputWords.has(w)) this.add(combine(sharedNs, fnv1a(w)));
    const pairNs = fnv1a(`cooc\u0000${namespace}`);
    const ins = hashes([...inputWords].slice(0, COOC_INPUT_WORDS));
    const outs = hashes(outputWords.slice(0, COOC_OUTPUT_WORDS));
    for (const a of ins) {
      const ns = combine(pairNs, a);
      for (const b of outs) this.add(combine(ns, b));
    }
  }

  /** n-grams of length 1..maxN, each chained from the namespace hash. */
  private addNgrams(ns: number, tokens: Uint32Array, maxN: number): void {
    for (let i = 0; i < tokens.length; i++) {
      let h = ns;
      for (let n = 0; n < maxN && i + n < tokens.length; n++) {
        h = combine(h, tokens[i + n]!);
        this.add(h);
      }
    }
  }

  /** `hash` comes from `combine`, already mixed. Low bits pick the slot, the top bit the sign (as in signed-hashing.ts). */
  private add(hash: number): void {
    const slot = hash & (this.size - 1);
    if (this.isTouched[slot] === 0) {
      this.isTouched[slot] = 1;
      this.touched.push(slot);
    }
    this.counts[slot] += hash >>> 31 ? -1 : 1;
  }

  write(out: Float32Array, offset: number): void {
    writeCounts(this.touched.map((slot): [number, number] => [slot, this.counts[slot]!]), out, offset);
  }
}

/** Content words the inputs contain become `<in>`; numbers of 3+ digits `<num>` (ranks and small counts stay). */
function abstractToken(token: string, inputWords: ReadonlySet<string>): string {
  if (inputWords.has(token)) return COPIED;
  if (/^\d{3,}$/.test(token)) return LONG_NUMBER;
  return token;
}

