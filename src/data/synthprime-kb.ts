import { createRng, shuffled, type Rng } from "../core/random";

/**
 * SynthPrime's knowledge base: a seeded synthetic stand-in for STaRK-Prime's PrimeKG graph, with
 * typed entities, text properties and typed relations, rendered the way the STaRK-Prime loader
 * renders nodes (a text document and a one-hop relation summary).
 */

export const ENTITY_TYPES = ["gene/protein", "drug", "disease", "effect/phenotype", "anatomy", "pathway"] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

/** The text properties of each type and their possible values. */
export const PROPERTIES: Readonly<Record<EntityType, Readonly<Record<string, readonly string[]>>>> = {
  "gene/protein": {
    family: ["kinase", "phosphatase", "transporter", "ion channel", "transcription factor", "receptor", "protease", "ubiquitin ligase"],
    localization: ["nuclear", "cytoplasmic", "membrane-bound", "mitochondrial", "secreted"],
  },
  drug: {
    mechanism: ["inhibitor", "agonist", "antagonist", "monoclonal antibody", "enzyme replacement"],
    route: ["oral", "intravenous", "topical", "inhaled", "subcutaneous"],
  },
  disease: {
    category: ["autoimmune", "metabolic", "neurodegenerative", "cardiovascular", "infectious", "oncological"],
    onset: ["childhood-onset", "adult-onset", "late-onset", "congenital"],
  },
  "effect/phenotype": { system: ["skeletal", "dermatological", "neurological", "hepatic", "renal", "cardiac"] },
  anatomy: { region: ["thoracic", "abdominal", "cranial", "pelvic", "limb"] },
  pathway: { process: ["signaling", "metabolic", "immune", "DNA repair", "apoptosis"] },
};

/** A relation type: its label, the two entity types it joins, and how many links each source entity gets. */
export interface RelationType {
  label: string;
  source: EntityType;
  target: EntityType;
  degree: readonly [number, number];
}

export const RELATION_TYPES: readonly RelationType[] = [
  { label: "target", source: "drug", target: "gene/protein", degree: [1, 3] },
  { label: "indication", source: "drug", target: "disease", degree: [1, 2] },
  { label: "side effect", source: "drug", target: "effect/phenotype", degree: [1, 3] },
  { label: "associated with", source: "disease", target: "gene/protein", degree: [2, 4] },
  { label: "phenotype present", source: "disease", target: "effect/phenotype", degree: [2, 4] },
  { label: "ppi", source: "gene/protein", target: "gene/protein", degree: [1, 2] },
  { label: "expression present", source: "gene/protein", target: "anatomy", degree: [1, 3] },
  { label: "pathway member", source: "gene/protein", target: "pathway", degree: [1, 2] },
];

const ENTITY_COUNTS: Readonly<Record<EntityType, number>> = {
  "gene/protein": 150,
  drug: 100,
  disease: 90,
  "effect/phenotype": 70,
  anatomy: 30,
  pathway: 30,
};

export interface Entity {
  id: number;
  name: string;
  type: EntityType;
  properties: Record<string, string>;
  description: string;
}

export interface SynthPrimeKB {
  seed: number;
  entities: Entity[];
  /** neighbors[id] maps a relation label to the linked entity ids (both directions, ascending). */
  neighbors: Map<string, number[]>[];
}

/** The linked entities of `id` under `label` (empty when none). */
export function linked(kb: SynthPrimeKB, id: number, label: string): readonly number[] {
  return kb.neighbors[id]!.get(label) ?? [];
}

export function generateKnowledgeBase(seed: number): SynthPrimeKB {
  const rng = createRng(`synthprime/kb/${seed}`);
  const names = new NameMaker(rng);
  // Fixed vocabularies are claimed first, so a random name can never contain one of them.
  const fixedNames: Partial<Record<EntityType, readonly (readonly [string, string])[]>> = {
    "effect/phenotype": shuffled(PHENOTYPES, rng).slice(0, ENTITY_COUNTS["effect/phenotype"]),
    anatomy: shuffled(ANATOMY, rng).slice(0, ENTITY_COUNTS.anatomy),
  };
  for (const list of Object.values(fixedNames)) for (const [name] of list) names.claim(name);
  const entities: Entity[] = [];
  for (const type of ENTITY_TYPES) {
    for (let i = 0; i < ENTITY_COUNTS[type]; i++) {
      const properties: Record<string, string> = {};
      for (const [property, values] of Object.entries(PROPERTIES[type])) properties[property] = pick(values, rng);
      let name: string;
      const fixed = fixedNames[type]?.[i];
      if (fixed) {
        // A fixed name comes with its own property value (a liver phenotype is hepatic).
        name = fixed[0];
        properties[Object.keys(PROPERTIES[type])[0]!] = fixed[1];
      } else {
        name = names.make(type, properties);
      }
      const id = entities.length;
      entities.push({ id, name, type, properties, description: describe(name, type, properties, rng) });
    }
  }
  const neighbors = entities.map(() => new Map<string, Set<number>>());
  const link = (a: number, b: number, label: string): void => {
    for (const [x, y] of [[a, b], [b, a]] as const) {
      const byLabel = neighbors[x]!;
      if (!byLabel.has(label)) byLabel.set(label, new Set());
      byLabel.get(label)!.add(y);
    }
  };
  const ofType = (type: EntityType): Entity[] => entities.filter((e) => e.type === type);
  for (const relation of RELATION_TYPES) {
    const targets = ofType(relation.target);
    for (const source of ofType(relation.source)) {
      const [lo, hi] = relation.degree;
      const count = lo + Math.floor(rng() * (hi - lo + 1));
      const choices = shuffled(targets.filter((t) => t.id !== source.id), rng).slice(0, count);
      for (const t of choices) link(source.id, t.id, relation.label);
    }
  }
  return {
    seed,
    entities,
    neighbors: neighbors.map((byLabel) => new Map([...byLabel].map(([label, ids]) => [label, [...ids].sort((a, b) => a - b)]))),
  };
}

/** The node's text document without relations (STaRK's `text_info`), cut to 1024 characters. */
export function renderTextInfo(kb: SynthPrimeKB, id: number): string {
  const e = kb.entities[id]!;
  const details = Object.entries(e.properties).map(([k, v]) => `  - ${k}: ${v}\n`).join("");
  return `- name: ${e.name}\n- type: ${e.type}\n- source: SynthPrime\n- details:\n${details}  - description: ${e.description}\n`.slice(0, 1024);
}

/** The node's name, type and one-hop relation summary (STaRK's `relation_info`), cut to 1024 characters. */
export function renderRelationInfo(kb: SynthPrimeKB, id: number): string {
  const e = kb.entities[id]!;
  let out = `- name: ${e.name}\n- type: ${e.type}\n- relations:\n`;
  for (const relation of RELATION_TYPES) {
    const ids = linked(kb, id, relation.label);
    // Group by the linked type: a gene's "ppi" partners and its drugs' "target" links read apart.
    for (const type of ENTITY_TYPES) {
      const names = ids.filter((n) => kb.entities[n]!.type === type).map((n) => kb.entities[n]!.name);
      if (names.length > 0) out += `  - ${relation.label} (${type}): ${names.join(", ")}\n`;
    }
  }
  return out.slice(0, 1024);
}

function pick<T>(items: readonly T[], rng: Rng): T {
  return items[Math.floor(rng() * items.length)]!;
}

export function withArticle(phrase: string): string {
  return `${/^[aeiou]/i.test(phrase) ? "an" : "a"} ${phrase}`;
}

const DRUG_STEMS: Record<string, string> = {
  inhibitor: "tinib",
  agonist: "terol",
  antagonist: "sartan",
  "monoclonal antibody": "zumab",
  "enzyme replacement": "glucase",
};
const CONSONANTS = "bcdfghklmnprstvz";
const VOWELS = "aeiou";
const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const PATHWAY_FORMS: Record<string, (root: string) => string> = {
  signaling: (r) => `${r} signaling pathway`,
  metabolic: (r) => `${r} metabolism`,
  immune: (r) => `${r} immune response`,
  "DNA repair": (r) => `${r} repair pathway`,
  apoptosis: (r) => `${r}-mediated apoptosis`,
};

/** Unique names; no name contains another, so matching a name in text never hits a longer one. */
class NameMaker {
  private readonly taken: string[] = [];
  constructor(private readonly rng: Rng) {}

  claim(name: string): string {
    const lower = name.toLowerCase();
    if (this.taken.some((t) => t.includes(lower) || lower.includes(t))) throw new Error(`SynthPrime name clash: ${name}`);
    this.taken.push(lower);
    return name;
  }

  make(type: EntityType, properties: Record<string, string>): string {
    for (;;) {
      const name = this.candidate(type, properties);
      const lower = name.toLowerCase();
      if (!this.taken.some((t) => t.includes(lower) || lower.includes(t))) return this.claim(name);
    }
  }

  private candidate(type: EntityType, properties: Record<string, string>): string {
    const rng = this.rng;
    const word = (syllables: number): string => {
      let w = "";
      for (let i = 0; i < syllables; i++) w += pick([...CONSONANTS], rng) + pick([...VOWELS], rng);
      return w[0]!.toUpperCase() + w.slice(1);
    };
    switch (type) {
      case "gene/protein":
        return `${pick([...LETTERS], rng)}${pick([...LETTERS], rng)}${pick([...LETTERS], rng)}${10 + Math.floor(rng() * 90)}`;
      case "drug":
        return word(2) + DRUG_STEMS[properties.mechanism!]!;
      case "disease":
        return `${word(3)} ${pick(["syndrome", "disease"], rng)}`;
      case "pathway":
        return PATHWAY_FORMS[properties.process!]!(Array.from({ length: 4 }, () => pick([...LETTERS], rng)).join(""));
      default:
        throw new Error(`SynthPrime has fixed names for ${type}`);
    }
  }
}

function describe(name: string, type: EntityType, p: Record<string, string>, rng: Rng): string {
  switch (type) {
    case "gene/protein":
      return `${name} encodes ${withArticle(`${p.localization} ${p.family}`)} ${pick(["involved in cell cycle control", "that responds to oxidative stress", "with a conserved catalytic domain", "studied in model organisms", "regulated during development"], rng)}.`;
    case "drug":
      return `${name} is ${withArticle(`${p.route} ${p.mechanism}`)} ${pick(["approved after phase III trials", "with a long plasma half-life", "metabolized by the liver", "under post-marketing surveillance", "given once daily"], rng)}.`;
    case "disease":
      return `${name} is ${withArticle(`${p.onset} ${p.category}`)} disorder ${pick(["with variable penetrance", "of unknown prevalence", "often diagnosed late", "with familial clustering", "managed by specialists"], rng)}.`;
    case "effect/phenotype":
      return `${name[0]!.toUpperCase()}${name.slice(1)} is ${withArticle(p.system!)} phenotype ${pick(["seen in clinical examinations", "recorded in patient registries", "graded by severity"], rng)}.`;
    case "anatomy":
      return `The ${name} is ${withArticle(p.region!)} structure ${pick(["examined in histology", "visible on imaging", "with a rich blood supply"], rng)}.`;
    case "pathway":
      return `The ${name} is ${withArticle(p.process!)} pathway ${pick(["conserved across vertebrates", "curated from the literature", "with several feedback loops"], rng)}.`;
  }
}

/** Anatomy names with their region. */
const ANATOMY: readonly (readonly [string, string])[] = [
  ["left ventricle", "thoracic"], ["right atrium", "thoracic"], ["lung parenchyma", "thoracic"], ["bronchial epithelium", "thoracic"], ["thymus", "thoracic"], ["esophageal mucosa", "thoracic"],
  ["liver lobule", "abdominal"], ["renal cortex", "abdominal"], ["pancreatic islet", "abdominal"], ["gastric mucosa", "abdominal"], ["small intestine", "abdominal"], ["spleen", "abdominal"],
  ["cerebral cortex", "cranial"], ["hippocampus", "cranial"], ["cerebellum", "cranial"], ["retina", "cranial"], ["pituitary gland", "cranial"], ["olfactory bulb", "cranial"],
  ["bladder wall", "pelvic"], ["prostate gland", "pelvic"], ["ovary", "pelvic"], ["uterine lining", "pelvic"], ["rectum", "pelvic"], ["testis", "pelvic"],
  ["skeletal muscle", "limb"], ["bone marrow", "limb"], ["synovial membrane", "limb"], ["tendon", "limb"], ["peripheral nerve", "limb"], ["forearm dermis", "limb"],
];

const PHENOTYPE_NOUNS: readonly (readonly [string, string])[] = [
  ["bone density", "skeletal"], ["joint mobility", "skeletal"], ["vertebral shape", "skeletal"], ["limb length", "skeletal"],
  ["skin pigmentation", "dermatological"], ["hair growth", "dermatological"], ["nail morphology", "dermatological"], ["skin elasticity", "dermatological"],
  ["reflexes", "neurological"], ["muscle tone", "neurological"], ["gait", "neurological"], ["speech development", "neurological"],
  ["liver enzymes", "hepatic"], ["bile flow", "hepatic"], ["liver size", "hepatic"],
  ["renal clearance", "renal"], ["urine output", "renal"], ["kidney size", "renal"],
  ["heart rate", "cardiac"], ["blood pressure", "cardiac"], ["cardiac rhythm", "cardiac"],
];
const PHENOTYPE_MODIFIERS = ["abnormal", "reduced", "increased", "delayed", "progressive", "fluctuating", "asymmetric"];
const PHENOTYPES: readonly (readonly [string, string])[] = PHENOTYPE_MODIFIERS.flatMap((m) => PHENOTYPE_NOUNS.map(([n, s]) => [`${m} ${n}`, s] as const));
