import { runSuite } from "../src/repro/suite";
import { resolveSuite } from "../src/repro/suite-config";

/**
 * Test helper process (not a test): runs a two-cell toy suite into argv[2] on two workers, as
 * `optimas reproduce` would, so a test can kill this parent while its workers run.
 */
const suite = resolveSuite({ name: "orphans", description: "", systems: ["toy"], methods: ["optimas", "opro"], seeds: [0], worlds: [1], preset: "quick", backend: "simlm" });
void runSuite(suite, { outDir: process.argv[2]!, workers: 2, png: false });
