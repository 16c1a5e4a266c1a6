import type { Json } from "../core/json";
import type { OracleResolver } from "./splits";

/**
 * The hidden truth of dataset examples (gold answers, supporting facts, canonical code), readable
 * only by SimLM. Example ids have the form `<dataset>/<split>/<key>`; the `<dataset>` prefix picks
 * the resolver a system registered. Resolvers are called lazily, on the first `get` of an id, and
 * each id's answer is kept, so registering every system costs nothing until SimLM asks.
 * Optimizers and reward models never receive this store.
 */
export class OracleStore {
  private readonly resolvers = new Map<string, OracleResolver>();
  private readonly resolved = new Map<string, Json | undefined>();

  /** Routes ids `<prefix>/...` to `resolver`; a prefix can be registered once. */
  register(prefix: string, resolver: OracleResolver): void {
    if (!/^[\w.-]+$/.test(prefix)) throw new Error(`oracle prefix "${prefix}" must be a dataset name without "/" (e.g. "toy")`);
    if (this.resolvers.has(prefix)) throw new Error(`an oracle resolver for "${prefix}" is already registered in this OracleStore`);
    this.resolvers.set(prefix, resolver);
  }

  prefixes(): string[] {
    return [...this.resolvers.keys()];
  }

  /** The oracle of one example id, or undefined when no resolver knows it. */
  get(id: string): Json | undefined {
    if (this.resolved.has(id)) return this.resolved.get(id);
    const slash = id.indexOf("/");
    const resolver = slash > 0 ? this.resolvers.get(id.slice(0, slash)) : undefined;
    const oracle = resolver ? resolver(id) : undefined;
    this.resolved.set(id, oracle);
    return oracle;
  }
}
