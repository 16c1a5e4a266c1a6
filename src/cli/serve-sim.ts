import { OracleStore } from "../data/oracle";
import { SimLM, SIMLM_VERSION } from "../lm/sim/simlm";
import { serveSim } from "../lm/sim/server";
import { availableSystems, getSystem } from "../systems/registry";

export interface ServeSimArgs {
  port: number;
  host: string;
  world: number;
  faultRate: number;
}

/** Serves SimLM until interrupted; every system's oracles are resolvable (lazily) through x-simlm-example. */
export async function serveSimCommand(args: ServeSimArgs): Promise<void> {
  const oracles = new OracleStore();
  for (const id of availableSystems()) getSystem(id).registerOracles(oracles);
  const server = await serveSim({ provider: new SimLM({ world: args.world, oracles }), port: args.port, host: args.host, faultRate: args.faultRate, seed: args.world });
  console.log(`${SIMLM_VERSION} world ${args.world} (a surrogate, not a language model) serving at ${server.url}`);
  console.log(`  OPENAI_BASE_URL=${server.url} npx optimas eval --system toy --backend openai --model sim-m`);
  if (args.faultRate > 0) console.log(`  injecting faults on ${(args.faultRate * 100).toFixed(1)}% of model calls`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      const f = server.faults();
      console.log(`\nstopping; injected faults: ${JSON.stringify(f)}`);
      server.close().then(resolve);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
