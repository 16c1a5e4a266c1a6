import type { Json } from "../core/json";
import type { Example } from "../core/system";
import { createRng, shuffled, type Rng } from "../core/random";
import { pythonJsonDumps } from "./python";
import { exampleId, SPLIT_NAMES, type DatasetSplits, type OracleResolver, type SplitName } from "./splits";
import { STARK_SPLIT_SIZES } from "./stark";
import { cosine, TfIdfIndex } from "./tfidf";
import {
  generateKnowledgeBase, linked, renderRelationInfo, renderTextInfo, withArticle,
  type EntityType, type SynthPrimeKB,
} from "./synthprime-kb";

/** One requirement of a query on its answer entities. */
export type Constraint =
  | { kind: "text"; property: string; value: string }
  | { kind: "relation"; relation: string; entityId: number; entityName: string; entityType: EntityType };

type ConstraintSpec = { kind: "text"; property: string } | { kind: "relation"; relation: string; other: EntityType };

interface Template {
  target: EntityType;
  constraints: readonly ConstraintSpec[];
  /** `{i}` is constraint i's value (a property value or an entity name); `{a.i}` the same with "a"/"an". */
  phrasings: readonly string[];
}

const text = (property: string): ConstraintSpec => ({ kind: "text", property });
const rel = (relation: string, other: EntityType): ConstraintSpec => ({ kind: "relation", relation, other });

const TEMPLATES: readonly Template[] = [
  { target: "drug", constraints: [text("route"), rel("target", "gene/protein")], phrasings: ["Which {0} drug targets {1}?", "Find a drug given by the {0} route that acts on {1}.", "I need {a.0} medication whose target is {1}."] },
  { target: "drug", constraints: [text("mechanism"), rel("indication", "disease")], phrasings: ["Which {0} is indicated for {1}?", "Name {a.0} drug used to treat {1}."] },
  { target: "gene/protein", constraints: [text("family"), rel("associated with", "disease")], phrasings: ["Which {0} gene is associated with {1}?", "Identify {a.0} protein linked to {1}."] },
  { target: "gene/protein", constraints: [rel("expression present", "anatomy"), rel("pathway member", "pathway")], phrasings: ["Which gene expressed in the {0} is a member of the {1}?", "Find a protein present in the {0} that takes part in the {1}."] },
  { target: "disease", constraints: [text("category"), rel("phenotype present", "effect/phenotype")], phrasings: ["Which {0} disease presents with {1}?", "What {0} condition shows {1} as a symptom?"] },
  { target: "drug", constraints: [rel("target", "gene/protein"), rel("side effect", "effect/phenotype")], phrasings: ["Which drug targeting {0} can cause {1}?", "Find a drug that acts on {0} and has {1} as a side effect."] },
  { target: "gene/protein", constraints: [text("localization"), rel("ppi", "gene/protein")], phrasings: ["Which {0} protein interacts with {1}?", "Identify {a.0} protein that binds {1}."] },
  { target: "disease", constraints: [text("onset"), rel("associated with", "gene/protein")], phrasings: ["Which {0} disease is linked to mutations in {1}?", "Name {a.0} disorder associated with {1}."] },
  { target: "drug", constraints: [text("route"), text("mechanism"), rel("indication", "disease")], phrasings: ["Which {0} {1} is used to treat {2}?", "Find {a.0} {1} indicated for {2}."] },
  { target: "disease", constraints: [text("category"), rel("indication", "drug")], phrasings: ["Which {0} disease can be treated with {1}?", "What {0} disorder is {1} indicated for?"] },
];

/** Queries whose gold set is larger than this are too generic to rank and are redrawn. */
const MAX_GOLD = 4;
export const CANDIDATES_PER_QUERY = 5;

export interface SynthPrimeOptions {
  /** Seed of the knowledge base and the queries (default 0). */
  seed?: number;
  /** Split sizes (default STaRK-Prime's 250 / 25 / 100). */
  sizes?: Partial<Record<SplitName, number>>;
}

export interface SynthPrimeQuery {
  question: string;
  constraints: Constraint[];
  answerIds: number[];
  candidateIds: number[];
  /** Per candidate, how many of the constraints it satisfies. */
  satisfied: number[];
  embScores: number[];
}

export interface SynthPrime {
  kb: SynthPrimeKB;
  splits: DatasetSplits;
  /** Each example's query with its constraints: oracle data, kept out of the example fields. */
  queries: Map<string, SynthPrimeQuery>;
}

/**
 * SynthPrime: STaRK-Prime's re-ranking task on a seeded synthetic biomedical knowledge base.
 * Each query combines textual and relational constraints; its gold answers are every entity of
 * the target type that satisfies all of them in the graph; its 5 candidates hold at least one gold
 * answer plus hard negatives that satisfy part of the constraints; embedding scores are TF-IDF
 * cosine similarities between the query and the candidates' text documents (`text_info`, before
 * the 1024-character cut). Example fields follow
 * the STaRK-Prime loader: `question`, `question_id`, `relation_info` and `text_info` (the 5
 * candidates' descriptions as Python `json.dumps(indent=2)` text), `emb_scores`, `candidate_ids`,
 * `answer_ids`.
 */
export function loadSynthPrime(options: SynthPrimeOptions = {}): SynthPrime {
  const seed = options.seed ?? 0;
  const kb = generateKnowledgeBase(seed);
  // The embedding reads each node's text document only, as a dense embedding of a long node
  // document captures its one-hop relations poorly: relational constraints are the relation
  // scorer's job, which is what makes the two LLM scorers worth having.
  const index = new TfIdfIndex(kb.entities.map((e) => renderTextInfo(kb, e.id)));
  const rng = createRng(`synthprime/queries/${seed}`);
  const questions = new Set<string>();
  const splits = {} as DatasetSplits;
  const queries = new Map<string, SynthPrimeQuery>();
  let n = 0;
  for (const split of SPLIT_NAMES) {
    const size = options.sizes?.[split] ?? STARK_SPLIT_SIZES[split];
    splits[split] = Array.from({ length: size }, () => {
      const query = drawQuery(kb, index, rng, questions);
      const key = `${seed}-${n++}`;
      const id = exampleId("synthprime", split, key);
      queries.set(id, query);
      return { id, fields: queryFields(kb, query, key) };
    });
  }
  return { kb, splits, queries };
}

function queryFields(kb: SynthPrimeKB, q: SynthPrimeQuery, key: string): Example["fields"] {
  return {
    question: q.question,
    question_id: key,
    relation_info: pythonJsonDumps(q.candidateIds.map((id) => renderRelationInfo(kb, id)), 2),
    text_info: pythonJsonDumps(q.candidateIds.map((id) => renderTextInfo(kb, id)), 2),
    emb_scores: q.embScores,
    candidate_ids: q.candidateIds,
    answer_ids: q.answerIds,
  };
}

/** How many of the constraints entity `id` satisfies, read from the graph. */
export function satisfiedCount(kb: SynthPrimeKB, id: number, constraints: readonly Constraint[]): number {
  const e = kb.entities[id]!;
  return constraints.filter((c) => (c.kind === "text" ? e.properties[c.property] === c.value : linked(kb, id, c.relation).includes(c.entityId))).length;
}

function drawQuery(kb: SynthPrimeKB, index: TfIdfIndex, rng: Rng, questions: Set<string>): SynthPrimeQuery {
  for (;;) {
    const template = TEMPLATES[Math.floor(rng() * TEMPLATES.length)]!;
    const pool = kb.entities.filter((e) => e.type === template.target);
    const seedEntity = pool[Math.floor(rng() * pool.length)]!;
    // Constraints are read off a real entity, so the gold set is never empty.
    const constraints: Constraint[] = [];
    for (const spec of template.constraints) {
      if (spec.kind === "text") {
        constraints.push({ kind: "text", property: spec.property, value: seedEntity.properties[spec.property]! });
        continue;
      }
      const used = new Set(constraints.flatMap((c) => (c.kind === "relation" ? [c.entityId] : [])));
      const options = linked(kb, seedEntity.id, spec.relation).filter((id) => kb.entities[id]!.type === spec.other && !used.has(id));
      if (options.length === 0) break;
      const other = kb.entities[options[Math.floor(rng() * options.length)]!]!;
      constraints.push({ kind: "relation", relation: spec.relation, entityId: other.id, entityName: other.name, entityType: other.type });
    }
    if (constraints.length < template.constraints.length) continue;
    const answerIds = pool.filter((e) => satisfiedCount(kb, e.id, constraints) === constraints.length).map((e) => e.id);
    if (answerIds.length > MAX_GOLD) continue;
    const phrasing = template.phrasings[Math.floor(rng() * template.phrasings.length)]!;
    const question = fill(phrasing, constraints);
    if (questions.has(question)) continue;
    questions.add(question);
    return { question, constraints, answerIds, ...drawCandidates(kb, index, rng, pool.map((e) => e.id), question, constraints, answerIds) };
  }
}

function fill(phrasing: string, constraints: readonly Constraint[]): string {
  const value = (i: number): string => {
    const c = constraints[i]!;
    return c.kind === "text" ? c.value : c.entityName;
  };
  return phrasing.replace(/\{(a\.)?(\d)\}/g, (_, article: string | undefined, i: string) => (article ? withArticle(value(Number(i))) : value(Number(i))));
}

/**
 * Five candidates in shuffled order: one gold answer (two, a quarter of the time, when there are
 * two), then the non-gold entities of the target type that satisfy the most constraints (ties
 * drawn at random): hard negatives that match part of the query.
 */
function drawCandidates(
  kb: SynthPrimeKB, index: TfIdfIndex, rng: Rng, pool: readonly number[], question: string, constraints: readonly Constraint[], answerIds: readonly number[],
): Pick<SynthPrimeQuery, "candidateIds" | "satisfied" | "embScores"> {
  const queryVector = index.vector(question);
  const similarity = (id: number): number => Math.round(cosine(queryVector, index.docVectors[id]!) * 100) / 100;
  const golds = shuffled(answerIds, rng).slice(0, answerIds.length >= 2 && rng() < 0.25 ? 2 : 1);
  const gold = new Set(answerIds);
  // Shuffled first, so entities that satisfy equally many constraints are drawn at random (picking
  // the most query-like of them would make the embedding rank the gold answer below chance).
  const negatives = shuffled(pool.filter((id) => !gold.has(id)), rng)
    .map((id) => ({ id, satisfied: satisfiedCount(kb, id, constraints) }))
    .sort((a, b) => b.satisfied - a.satisfied)
    .slice(0, CANDIDATES_PER_QUERY - golds.length)
    .map((n) => n.id);
  const candidateIds = shuffled([...golds, ...negatives], rng);
  return {
    candidateIds,
    satisfied: candidateIds.map((id) => satisfiedCount(kb, id, constraints)),
    embScores: candidateIds.map(similarity),
  };
}

/**
 * The truth SimLM's STaRK skills read for a SynthPrime query: the gold set, the candidates, which
 * candidate positions are gold, the query's constraints and how many each candidate satisfies.
 */
export function synthprimeOracle(query: SynthPrimeQuery): Json {
  const answers = new Set(query.answerIds);
  return {
    answer_ids: query.answerIds,
    candidate_ids: query.candidateIds,
    gold_positions: query.candidateIds.flatMap((id, i) => (answers.has(id) ? [i] : [])),
    constraints: query.constraints as unknown as Json,
    satisfied: query.satisfied,
  };
}

export function synthprimeOracleResolver(options: SynthPrimeOptions = {}): OracleResolver {
  let queries: Map<string, SynthPrimeQuery> | undefined;
  return (id) => {
    queries ??= loadSynthPrime(options).queries;
    const query = queries.get(id);
    return query ? synthprimeOracle(query) : undefined;
  };
}
