import type { Json } from "../core/json";

/**
 * The Amazon metric: 1 when the prediction's text equals the gold text exactly, else 0. Nothing
 * is trimmed, case-folded or parsed, as in the reference ("2." and "Item 2" score 0 against "2").
 * Like the reference's `str(answer) == str(gd_answer)`, a number compares by its text (2 equals "2");
 * other non-string values compare by their JSON text.
 */
export function exactMatchAccuracy(prediction: Json | undefined, gold: Json | undefined): number {
  const text = (v: Json | undefined): string => (typeof v === "string" ? v : typeof v === "number" ? String(v) : JSON.stringify(v ?? null));
  return text(prediction) === text(gold) ? 1 : 0;
}
