/**
 * The concept bank of simlm@1: instruction ideas an optimizer can add, drop or rephrase. Each has
 * 3–6 surface phrasings; a concept is present when any phrasing occurs in the instruction
 * (case-insensitive). Format concepts also shape format compliance. Changing this bank changes
 * every world: it is part of the SimLM version.
 */
export interface Concept {
  id: string;
  phrasings: readonly string[];
  format?: boolean;
}

export const CONCEPTS: readonly Concept[] = [
  { id: "concise", phrasings: ["Be concise.", "Answer in as few words as possible.", "Keep the answer short.", "Avoid unnecessary words."] },
  { id: "step-by-step", phrasings: ["Think step by step.", "Reason through the problem step by step.", "Work through it one step at a time."] },
  { id: "quote-evidence", phrasings: ["Quote the evidence you rely on.", "Cite the exact sentence that supports your answer.", "Ground every claim in the given text."] },
  { id: "use-context-only", phrasings: ["Use only the information in the provided context.", "Do not use outside knowledge.", "Rely solely on the given passages."] },
  { id: "careful", phrasings: ["Read the input carefully.", "Pay close attention to every detail of the input.", "Examine the input thoroughly."] },
  { id: "expert-role", phrasings: ["You are an expert in this domain.", "Act as a seasoned specialist.", "Respond as a domain expert would."] },
  { id: "double-check", phrasings: ["Double-check your answer before responding.", "Verify your result.", "Re-check your output for mistakes."] },
  { id: "exact-span", phrasings: ["Copy the answer exactly as it appears in the text.", "Return the exact span from the passage.", "Use the wording of the source verbatim."] },
  { id: "entities", phrasings: ["Keep every named entity from the question.", "Preserve all names and places mentioned.", "Do not drop any entity."] },
  { id: "relevance", phrasings: ["Focus on the most relevant information.", "Ignore irrelevant details.", "Prioritize what matters for the question."] },
  { id: "comprehensive", phrasings: ["Be comprehensive.", "Cover every aspect of the question.", "Include all relevant details."] },
  { id: "creative", phrasings: ["Be creative.", "Think outside the box.", "Feel free to be imaginative."] },
  { id: "confident", phrasings: ["Answer confidently.", "Commit to a single answer.", "Do not hedge."] },
  { id: "hedge", phrasings: ["If unsure, say so.", "Express uncertainty when appropriate.", "Mention any doubts you have."] },
  { id: "bridge", phrasings: ["Connect facts across passages.", "Find the bridge entity linking the facts.", "Combine information from several sources."] },
  { id: "keywords", phrasings: ["Extract the key terms.", "Identify the salient keywords.", "List the important noun phrases."] },
  { id: "compare", phrasings: ["Compare the options explicitly.", "Weigh each candidate against the others.", "Contrast the alternatives."] },
  { id: "user-intent", phrasings: ["Consider what the user is looking for.", "Infer the user's intent.", "Think about the user's goal."] },
  { id: "history", phrasings: ["Use the user's history.", "Take the previous interactions into account.", "Look at the sequence of past items."] },
  { id: "numbers", phrasings: ["Include specific numbers and conditions.", "Be precise about quantities.", "State exact values."] },
  { id: "edge-cases", phrasings: ["Handle edge cases.", "Consider boundary conditions.", "Think about unusual inputs."] },
  { id: "tests-first", phrasings: ["Think about the tests the code must pass.", "Make sure the code satisfies the specification's tests.", "Write code that passes the unit tests."] },
  { id: "stdlib", phrasings: ["Use only the standard library.", "Avoid third-party packages.", "Stick to built-in modules."] },
  { id: "readable", phrasings: ["Write clean, readable code.", "Keep the code simple.", "Prefer clear code over clever code."] },
  { id: "evidence-based-medicine", phrasings: ["Base the answer on the study's findings.", "Follow the evidence reported in the abstract.", "Weigh the study results."] },
  { id: "summary", phrasings: ["Summarize the key findings.", "Give a brief summary first.", "Condense the context."] },
  { id: "constraints", phrasings: ["Check every constraint of the query.", "Make sure each requirement is satisfied.", "Verify all conditions of the request."] },
  { id: "calibrated-scores", phrasings: ["Give calibrated scores.", "Spread your scores to reflect real differences.", "Use the full range of scores."] },
  { id: "polite", phrasings: ["Be polite.", "Use a friendly tone.", "Be courteous."] },
  { id: "formal", phrasings: ["Use formal language.", "Write in a formal register.", "Keep a professional tone."] },
  { id: "examples", phrasings: ["Follow the examples.", "Imitate the demonstrations.", "Use the examples as a guide."] },
  { id: "avoid-repetition", phrasings: ["Do not repeat yourself.", "Avoid repetition.", "Say each thing once."] },
  { id: "question-first", phrasings: ["Restate the question first.", "Begin by restating the task.", "Start by rephrasing the question."] },
  { id: "rewrite-clarity", phrasings: ["Make the question clearer.", "Rewrite for clarity.", "Clarify the wording."] },
  { id: "short-sentences", phrasings: ["Use short sentences.", "Keep sentences brief.", "Write in short sentences."] },
  { id: "list-format", phrasings: ["Use a bulleted list.", "Format the output as a list.", "Present items as bullet points."] },
  { id: "answer-line", phrasings: ["End with `Answer: <label>`.", "Finish with a line of the form Answer: <label>.", "Conclude with the line Answer: followed by the label."], format: true },
  { id: "json-only", phrasings: ["Return only valid JSON.", "Output nothing but well-formed JSON.", "Respond with valid JSON and no other text."], format: true },
  { id: "follow-format", phrasings: ["Follow the output format exactly.", "Respect the required structure.", "Use exactly the requested fields."], format: true },
  { id: "no-preamble", phrasings: ["Do not add any preamble.", "Skip introductions.", "Start directly with the output."], format: true },
];

const LOWER = CONCEPTS.map((c) => ({ id: c.id, phrasings: c.phrasings.map((p) => p.toLowerCase()) }));

/** Ids of the concepts whose phrasing appears in `instruction`, in bank order. */
export function conceptsIn(instruction: string): string[] {
  const text = instruction.toLowerCase();
  return LOWER.filter((c) => c.phrasings.some((p) => text.includes(p))).map((c) => c.id);
}

export function concept(id: string): Concept {
  const c = CONCEPTS.find((x) => x.id === id);
  if (!c) throw new Error(`unknown SimLM concept "${id}"`);
  return c;
}

export function wordCount(text: string): number {
  const m = text.match(/\S+/g);
  return m ? m.length : 0;
}
