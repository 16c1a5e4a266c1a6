/** SimLM's tokenizer: words and single punctuation marks count one token each (deterministic, cheap). */
export function countTokens(text: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const word = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c > 127;
    const space = c === 32 || c === 10 || c === 9 || c === 13;
    if (word) {
      if (!inWord) n++;
      inWord = true;
    } else {
      inWord = false;
      if (!space) n++;
    }
  }
  return n;
}
