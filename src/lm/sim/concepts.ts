/**
 * The concept bank of simlm@1: the instruction ideas an optimizer can add, drop or rephrase,
 * shared by every skill. Each concept has 3–6 surface phrasings; a concept is present in an
 * instruction when any of its phrasings occurs in it (case-insensitive, trailing period ignored).
 * No phrasing contains another concept's phrasing, so detection is unambiguous.
 *
 * `format`: the concept also shapes format compliance for skills that list it as a format concept.
 * `remedies`: the visible output failures a critic associates with the concept (meta.critique).
 * The bank is part of the SimLM version: changing it is a version bump.
 */

/** Output symptoms a critic can see without the oracle. */
export type VisibleFailure = "empty" | "verbose" | "hedging" | "malformed";

export interface Concept {
  id: string;
  phrasings: readonly string[];
  format?: boolean;
  remedies?: readonly VisibleFailure[];
}

export const CONCEPTS: readonly Concept[] = [
  { id: "concise", phrasings: ["Be concise.", "Answer in as few words as possible.", "Keep the answer short.", "Avoid unnecessary words."], remedies: ["verbose"] },
  { id: "one-sentence", phrasings: ["Limit the response to one sentence.", "Reply in a single sentence.", "Use no more than one sentence."], remedies: ["verbose"] },
  { id: "step-by-step", phrasings: ["Think step by step.", "Reason through the problem step by step.", "Work through it one step at a time.", "Break the problem into small steps."] },
  { id: "quote-evidence", phrasings: ["Quote the evidence you rely on.", "Cite the exact sentence that supports your answer.", "Ground every claim in a quoted passage."] },
  { id: "context-only", phrasings: ["Use only the information in the provided context.", "Do not use outside knowledge.", "Rely solely on the given passages."], remedies: ["hedging"] },
  { id: "careful-reading", phrasings: ["Read the input carefully.", "Pay close attention to every detail of the input.", "Examine the input thoroughly."] },
  { id: "expert-role", phrasings: ["You are an expert in this domain.", "Act as a seasoned specialist.", "Respond as a domain expert would."] },
  { id: "double-check", phrasings: ["Double-check your answer before responding.", "Verify your result before you reply.", "Re-check your output for mistakes."] },
  { id: "exact-span", phrasings: ["Copy the answer exactly as it appears in the text.", "Return the exact span from the passage.", "Use the wording of the source verbatim."], remedies: ["verbose"] },
  { id: "entities", phrasings: ["Keep every named entity from the question.", "Preserve all names and places mentioned.", "Never drop a proper noun."] },
  { id: "relevance", phrasings: ["Focus on the most relevant information.", "Ignore irrelevant details.", "Disregard distracting sentences."], remedies: ["verbose"] },
  { id: "comprehensive", phrasings: ["Be comprehensive.", "Cover every aspect of the question.", "Include all relevant details."] },
  { id: "creative", phrasings: ["Be creative.", "Think outside the box.", "Feel free to be imaginative."] },
  { id: "confident", phrasings: ["Answer confidently.", "Commit to a single answer.", "Do not hedge."], remedies: ["hedging"] },
  { id: "admit-uncertainty", phrasings: ["If unsure, say so.", "Express uncertainty when appropriate.", "Mention any doubts you have."] },
  { id: "bridge", phrasings: ["Connect facts across passages.", "Find the bridge entity linking the facts.", "Combine information from several sources."] },
  { id: "keywords", phrasings: ["Extract the key terms.", "Identify the salient keywords.", "List the important noun phrases."] },
  { id: "compare-options", phrasings: ["Compare the options explicitly.", "Weigh each candidate against the others.", "Contrast the alternatives."] },
  { id: "answer-line", phrasings: ["End with `Answer: <label>`.", "Finish with a final line of the form Answer: <label>.", "Put the final label on its own line as Answer: <label>."], format: true, remedies: ["malformed", "empty"] },
  { id: "json-only", phrasings: ["Return only valid JSON.", "Output nothing but a JSON object.", "Respond with well-formed JSON and no extra text."], format: true, remedies: ["malformed"] },
  { id: "follow-format", phrasings: ["Follow the output format exactly.", "Use the field markers exactly as shown.", "Keep to the required output structure."], format: true, remedies: ["malformed", "empty"] },
  { id: "no-preamble", phrasings: ["Do not add any preamble.", "Skip introductions and pleasantries.", "Start directly with the answer."], format: true, remedies: ["verbose", "malformed"] },
  { id: "bullet-points", phrasings: ["Use bullet points.", "Format the answer as a bulleted list.", "Write one item per line."] },
  { id: "summarize-first", phrasings: ["Summarize the context before answering.", "Start by condensing the relevant information.", "Write a brief summary of the key facts first."] },
  { id: "state-confidence", phrasings: ["State your confidence.", "Rate how sure you are.", "Indicate your level of certainty."] },
  { id: "edge-cases", phrasings: ["Consider edge cases.", "Think about boundary conditions.", "Handle unusual inputs carefully."] },
  { id: "pass-tests", phrasings: ["Make sure the code passes its tests.", "Write code that satisfies every test case.", "Check the code against the expected behaviour."] },
  { id: "document-code", phrasings: ["Comment the code clearly.", "Document what each function does.", "Add explanatory comments."] },
  { id: "imports", phrasings: ["Include all necessary imports.", "Import every library you use.", "Do not forget the import statements."] },
  { id: "clinical", phrasings: ["Apply clinical reasoning.", "Think like a physician.", "Weigh the medical evidence."] },
  { id: "balanced-labels", phrasings: ["Consider every possible label before deciding.", "Weigh each option fairly.", "Do not favor any label by default."] },
  { id: "check-constraints", phrasings: ["Check every constraint in the query.", "Make sure all requirements are satisfied.", "Verify each condition of the request."] },
  { id: "user-preferences", phrasings: ["Take the user's preferences into account.", "Consider the customer's past behavior.", "Match the user's interests."] },
  { id: "polite", phrasings: ["Be polite.", "Use a friendly tone.", "Respond courteously."] },
  { id: "formal", phrasings: ["Use formal language.", "Write in a professional register.", "Keep the tone academic."] },
  { id: "restate", phrasings: ["Restate the question before answering.", "Paraphrase the task in your own words first.", "Begin by rephrasing what is asked."] },
  { id: "importance", phrasings: ["This is very important.", "Accuracy is critical here.", "Take this task seriously."] },
  { id: "self-consistency", phrasings: ["Consider several candidate answers and pick the most consistent.", "Generate alternatives and choose the best one.", "Cross-check multiple lines of reasoning."] },
  { id: "no-repetition", phrasings: ["Do not repeat yourself.", "Avoid redundant statements.", "Say each thing once."] },
  { id: "question-focus", phrasings: ["Focus on what the question actually asks.", "Re-read the question before you answer.", "Identify exactly what is being asked."] },
  { id: "numbers", phrasings: ["Be careful with numbers and units.", "Check every quantity and unit.", "Pay close attention to numeric details."] },
];

/** Position of each concept in CONCEPTS. */
export const CONCEPT_INDEX: ReadonlyMap<string, number> = new Map(CONCEPTS.map((c, i) => [c.id, i]));

export function concept(id: string): Concept {
  const i = CONCEPT_INDEX.get(id);
  if (i === undefined) throw new Error(`SimLM has no concept "${id}" (see src/lm/sim/concepts.ts)`);
  return CONCEPTS[i]!;
}

/** A phrasing as it is matched: lower case, without the trailing period. */
function matchKey(phrasing: string): string {
  return phrasing.toLowerCase().replace(/\.$/, "");
}

const MATCH_KEYS: readonly (readonly string[])[] = CONCEPTS.map((c) => c.phrasings.map(matchKey));

/** What SimLM reads from an instruction: the concepts present and the word count. */
export interface InstructionProfile {
  /** Indices into CONCEPTS, ascending. */
  concepts: readonly number[];
  present: ReadonlySet<number>;
  words: number;
}

export function wordCount(text: string): number {
  const m = text.match(/\S+/g);
  return m ? m.length : 0;
}

// Optimizers reuse a handful of instructions across thousands of calls: profile each text once.
const PROFILE_CACHE_LIMIT = 20_000;
const profiles = new Map<string, InstructionProfile>();

export function profileInstruction(instruction: string): InstructionProfile {
  const known = profiles.get(instruction);
  if (known) return known;
  const lower = instruction.toLowerCase();
  const concepts: number[] = [];
  MATCH_KEYS.forEach((keys, i) => {
    if (keys.some((k) => lower.includes(k))) concepts.push(i);
  });
  const profile = { concepts, present: new Set(concepts), words: wordCount(instruction) };
  if (profiles.size >= PROFILE_CACHE_LIMIT) profiles.clear();
  profiles.set(instruction, profile);
  return profile;
}

/** The phrasing of concept `index` that occurs in `instruction`, with its position, if any. */
export function findPhrasing(instruction: string, index: number): { at: number; length: number } | undefined {
  const lower = instruction.toLowerCase();
  for (const key of MATCH_KEYS[index]!) {
    const at = lower.indexOf(key);
    if (at >= 0) {
      const withPeriod = instruction[at + key.length] === ".";
      return { at, length: key.length + (withPeriod ? 1 : 0) };
    }
  }
  return undefined;
}

function tidy(text: string): string {
  return text.replace(/[ \t]{2,}/g, " ").replace(/ +([.,;:])/g, "$1").replace(/^\s+|\s+$/g, "");
}

/** Appends a phrasing as a new sentence. */
export function addPhrasing(instruction: string, phrasing: string): string {
  const base = instruction.trim();
  if (base === "") return phrasing;
  return /[.!?:`]$/.test(base) ? `${base} ${phrasing}` : `${base}. ${phrasing}`;
}

/** Removes every phrasing of concept `index` from the instruction. */
export function dropConcept(instruction: string, index: number): string {
  let text = instruction;
  for (let hit = findPhrasing(text, index); hit; hit = findPhrasing(text, index)) {
    text = `${text.slice(0, hit.at)}${text.slice(hit.at + hit.length)}`;
  }
  return tidy(text);
}

/** Replaces the phrasing of concept `index` found in the instruction by `phrasing`. */
export function replacePhrasing(instruction: string, index: number, phrasing: string): string {
  const hit = findPhrasing(instruction, index);
  if (!hit) return addPhrasing(instruction, phrasing);
  const replacement = instruction[hit.at + hit.length - 1] === "." ? phrasing : phrasing.replace(/\.$/, "");
  return tidy(`${instruction.slice(0, hit.at)}${replacement}${instruction.slice(hit.at + hit.length)}`);
}
