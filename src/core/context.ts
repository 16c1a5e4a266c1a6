import type { Json } from "./json";
import type { VariablePatch } from "./variable";
import type { LM } from "../lm/types";
import { Budget } from "../lm/budget";
import { createRng, type Rng } from "./random";

/** A scoped change to one component for every call made under a context. */
export interface ComponentOverride {
  variable?: VariablePatch;
  /** Only keys the component's config already has (unknown keys are an error). */
  config?: Record<string, Json>;
}

export type Overrides = Record<string, ComponentOverride>;

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
  /** Base sample index of LM calls made under this context (repeats and re-samples differ here). */
  readonly sampleIndex: number;
  /** The dataset example being run, routed to SimLM as metadata. */
  readonly exampleId: string | undefined;
  /** Optimizer stage for accounting ("eval", "collect", "optimize", "validate", …). */
  readonly stage: string;

  constructor(options: RunContextOptions, inherited?: Partial<Pick<RunContext, "overrides" | "sampleIndex" | "exampleId" | "stage">>) {
    this.lm = options.lm;
    this.seed = options.seed;
    this.budget = options.budget ?? new Budget();
    this.tracer = options.tracer ?? silentTracer;
    this.overrides = inherited?.overrides ?? {};
    this.sampleIndex = inherited?.sampleIndex ?? 0;
    this.exampleId = inherited?.exampleId;
    this.stage = inherited?.stage ?? "run";
  }

  /** A named, seeded random stream: the same (seed, name) always yields the same sequence. */
  rng(stream: string): Rng {
    return createRng(`${this.seed}/${stream}`);
  }

  private child(changes: Partial<Pick<RunContext, "overrides" | "sampleIndex" | "exampleId" | "stage">>): RunContext {
    return new RunContext(
      { lm: this.lm, seed: this.seed, budget: this.budget, tracer: this.tracer },
      { overrides: this.overrides, sampleIndex: this.sampleIndex, exampleId: this.exampleId, stage: this.stage, ...changes },
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
      { overrides: this.overrides, sampleIndex: this.sampleIndex, exampleId: this.exampleId, stage: this.stage },
    );
  }
}
