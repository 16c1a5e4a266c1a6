import type { Fields, Json } from "./json";
import type { VariablePatch } from "./variable";
import type { LM } from "./lm-types";
import { Budget } from "./budget";
import { createRng, type Rng } from "./random";

/** A scoped change to one component for every call made under a context. */
export interface ComponentOverride {
  variable?: VariablePatch;
  /** Only keys the component's config already has (unknown keys are an error). */
  config?: Record<string, Json>;
}

export type Overrides = Record<string, ComponentOverride>;

/**
 * Per-input choice of a `params`/`model` value at run time: given one input and the outputs each
 * candidate value produces, returns the index of the candidate to keep (the paper's local
 * selection by the LRF).
 */
export type ValueSelector = (inputs: Fields, candidates: readonly { patch: VariablePatch; outputs: Fields }[]) => Promise<number>;

/** Receives structured events (component calls, stages); the default drops them. */
export interface Tracer {
  event(kind: string, data: Record<string, unknown>): void;
}

export const silentTracer: Tracer = { event: () => undefined };

export interface RunContextOptions {
  lm: LM;
  seed: number;
  budget?: Budget;
  tracer?: Tracer;
}

/**
 * Everything a call needs besides the component: the LM, seeded random streams, scoped overrides,
 * the budget and the tracer. Immutable: `with*` methods return a child context, so concurrent
 * calls never see each other's overrides.
 */
export class RunContext {
  readonly lm: LM;
  readonly seed: number;
  readonly budget: Budget;
  readonly tracer: Tracer;
  readonly overrides: Readonly<Overrides>;
  /** Components whose value is chosen per input (see ValueSelector). */
  readonly selectors: Readonly<Record<string, ValueSelector>>;
  /** Base sample index of LM calls made under this context (repeats and re-samples differ here). */
  readonly sampleIndex: number;
  /** The dataset example being run, routed to SimLM as metadata. */
  readonly exampleId: string | undefined;
  /** Optimizer stage for accounting ("eval", "collect", "optimize", "validate", …). */
  readonly stage: string;

  constructor(options: RunContextOptions, inherited?: Partial<Pick<RunContext, "overrides" | "selectors" | "sampleIndex" | "exampleId" | "stage">>) {
    this.lm = options.lm;
    this.seed = options.seed;
    // An LM that charges a budget (LMClient) must charge this context's budget, or caps would silently not apply.
    if (options.budget && options.lm.budget && options.budget !== options.lm.budget) {
      throw new Error("RunContext: its LM charges a different Budget; construct the LMClient with this budget, or omit `budget` to adopt the client's");
    }
    this.budget = options.budget ?? options.lm.budget ?? new Budget();
    this.tracer = options.tracer ?? silentTracer;
    this.overrides = inherited?.overrides ?? {};
    this.selectors = inherited?.selectors ?? {};
    this.sampleIndex = inherited?.sampleIndex ?? 0;
    this.exampleId = inherited?.exampleId;
    this.stage = inherited?.stage ?? "run";
  }

  /** A named, seeded random stream: the same (seed, name) always yields the same sequence. */
  rng(stream: string): Rng {
    return createRng(`${this.seed}/${stream}`);
  }

  private child(changes: Partial<Pick<RunContext, "overrides" | "selectors" | "sampleIndex" | "exampleId" | "stage">>): RunContext {
    return new RunContext(
      { lm: this.lm, seed: this.seed, budget: this.budget, tracer: this.tracer },
      { overrides: this.overrides, selectors: this.selectors, sampleIndex: this.sampleIndex, exampleId: this.exampleId, stage: this.stage, ...changes },
    );
  }

  /** Layers overrides on top of the current ones; for the same component, config keys merge and the newer variable wins. */
  withOverrides(overrides: Overrides): RunContext {
    const merged: Overrides = { ...this.overrides };
    for (const [name, o] of Object.entries(overrides)) {
      const prev = merged[name];
      merged[name] = {
        variable: o.variable ?? prev?.variable,
        config: prev?.config || o.config ? { ...prev?.config, ...o.config } : undefined,
      };
    }
    return this.child({ overrides: merged });
  }

  withSample(sampleIndex: number): RunContext {
    return this.child({ sampleIndex });
  }

  withExample(exampleId: string): RunContext {
    return this.child({ exampleId });
  }

  withStage(stage: string): RunContext {
    return this.child({ stage });
  }

  /** Same overrides and scope, another LM (for example a cached or budgeted client). */
  withLM(lm: LM): RunContext {
    return new RunContext(
      { lm, seed: this.seed, budget: this.budget, tracer: this.tracer },
      { overrides: this.overrides, selectors: this.selectors, sampleIndex: this.sampleIndex, exampleId: this.exampleId, stage: this.stage },
    );
  }

  /** Installs per-input value selectors (replacing any for the same components). */
  withSelectors(selectors: Record<string, ValueSelector>): RunContext {
    return this.child({ selectors: { ...this.selectors, ...selectors } });
  }
}
