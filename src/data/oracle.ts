import type { Json } from "../core/json";

/**
 * Ground truth by example id, for SimLM only (optimizers and reward models never see it). Ids are
 * `<dataset>/<split>/<key>`; each dataset registers a resolver for its prefix, called lazily, so
 * a store that knows every system loads a dataset only when one of its examples is asked for.
 */
export type OracleResolver = (id: string) => Json | undefined;

export class OracleStore {
  private readonly resolvers = new Map<string, OracleResolver>();

  register(prefix: string, resolver: OracleResolver): void {
    if (prefix.includes("/")) throw new Error(`oracle prefix "${prefix}" must not contain "/"`);
    this.resolvers.set(prefix, resolver);
  }

  get(id: string): Json | undefined {
    const slash = id.indexOf("/");
    const resolver = this.resolvers.get(slash < 0 ? id : id.slice(0, slash));
    return resolver ? resolver(id) : undefined;
  }

  get prefixes(): string[] {
    return [...this.resolvers.keys()];
  }
}
