/**
 * SimLM's tokenizer, used for usage accounting and `maxTokens`: a run of letters/digits counts one
 * token per started 6 characters, every other non-space character one token. Deterministic and
 * cheap, and roughly in line with BPE counts on English text.
 */

const WORD_CHUNK = 6;

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c > 127;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}

/** Token boundaries: calls `visit(end)` after each token with the index just past it; stops when it returns false. */
function scan(text: string, visit: (end: number) => boolean): void {
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (!isWordChar(c)) {
      i++;
      if (!visit(i)) return;
      continue;
    }
    let j = i;
    while (j < text.length && isWordChar(text.charCodeAt(j))) j++;
    for (let start = i; start < j; start += WORD_CHUNK) if (!visit(Math.min(j, start + WORD_CHUNK))) return;
    i = j;
  }
}

export function countTokens(text: string): number {
  let n = 0;
  scan(text, () => {
    n++;
    return true;
  });
  return n;
}

/** The longest prefix of `text` with at most `maxTokens` tokens (a reply cut at the token limit). */
export function truncateToTokens(text: string, maxTokens: number): string {
  let n = 0;
  let cut = 0;
  scan(text, (end) => {
    if (n === maxTokens) return false;
    n++;
    cut = end;
    return true;
  });
  return text.slice(0, cut);
}
