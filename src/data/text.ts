/** Tokenization for retrieval and vector similarity (not for metrics, whose normalization is fixed by the reference). */

const STOPWORDS = new Set(
  ("a an the and or but if then else of in on at to for from by with without about into onto over under " +
    "is are was were be been being am do does did has have had having it its this that these those there here " +
    "i you he she we they me him her us them my your his our their what which who whom whose when where why how " +
    "as than so such not no nor can could would should will shall may might must also very just only any all each " +
    "both more most other some own same too s t").split(" "),
);

/**
 * Lower-cased words with accents folded (NFKD, combining marks dropped), split on anything that is
 * not a letter or digit, English stopwords removed: "Beyoncé's 2nd album" → ["beyonce", "2nd", "album"].
 */
export function retrievalTokens(text: string): string[] {
  const folded = text.normalize("NFKD").replace(/\p{M}+/gu, "").toLowerCase();
  return (folded.match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !STOPWORDS.has(w));
}
