import { FatalRunError } from "../../core/failure";

/**
 * The sandbox's isolation plans, what each cannot prevent on this host (recorded in every
 * BigCodeBench run record), and the refusal to run unisolated next to an API key.
 */

export type IsolationPlan = "namespaces+uid" | "namespaces" | "uid" | "none";

/** Strongest first: detection tries them in this order, and a forced plan may only be later. */
export const PLANS: readonly IsolationPlan[] = ["namespaces+uid", "namespaces", "uid", "none"];

/** A way a hostile program gets out under a weaker plan. */
export type IsolationGap =
  | "host-processes"
  | "parent-environ"
  | "caller-files"
  | "host-sockets"
  | "loopback"
  | "unbounded-tmpfs"
  | "persistent-writes"
  | "escaped-processes"
  | "process-count";

/** What the host allowed when the plan was probed. */
export interface HostFacts {
  root: boolean;
  /** The `uid` plan got a network namespace of its own (namespace plans always do). */
  privateNetwork: boolean;
}

/** The plan a sandbox runs under and what it leaves open, as written to config.json and result.json. */
export interface IsolationRecord {
  plan: IsolationPlan;
  limitations: Partial<Record<IsolationGap, string>>;
}

const HIDDEN = "/root, /run, /var/run, the caller's home and working directory, /etc/shadow and /etc/gshadow";

export function limitationsOf(plan: IsolationPlan, host: HostFacts): IsolationRecord["limitations"] {
  const gaps: IsolationRecord["limitations"] = {};
  if (plan === "namespaces+uid") return gaps;
  if (plan === "namespaces") {
    gaps["caller-files"] = `the program runs with the caller's rights${host.root ? " (root)" : ""}: files the caller may read stay readable (read-only) outside the hidden ${HIDDEN}`;
  } else {
    gaps["host-processes"] = "without a pid namespace the host's /proc lists every process, with its command line";
    gaps["host-sockets"] = "without a mount namespace, host UNIX sockets under /run whose permissions allow any user (the D-Bus system bus, for one) can be connected to";
    gaps["unbounded-tmpfs"] = "writes to the host's /dev/shm (and /tmp where it is a tmpfs) are memory outside RLIMIT_AS, bounded only by RLIMIT_FSIZE per file";
    if (!host.privateNetwork) gaps.loopback = "no network namespace on this host: host loopback services and abstract UNIX sockets are reachable";
  }
  if (plan === "uid") gaps["persistent-writes"] = "files written to world-writable folders other than /tmp, /var/tmp, /dev/shm and /run/lock persist";
  if (plan === "none") {
    gaps["parent-environ"] = "the program runs as the caller with the host's /proc: /proc/<pid>/environ of this process (and its API keys) is readable";
    gaps["caller-files"] = "the program runs as the caller: every file the caller may read or write is open to it";
    gaps["persistent-writes"] = "absolute writes anywhere the caller may write persist";
    gaps["escaped-processes"] = "a process that calls setsid() outlives the time limit";
  }
  if (host.root && (plan === "namespaces" || plan === "none")) gaps["process-count"] = "RLIMIT_NPROC does not apply to root: a fork bomb is bounded only by the time limit";
  return gaps;
}

/** Credential-looking variable names (OPENAI_API_KEY, HF_TOKEN, AWS_SECRET_ACCESS_KEY, DB_PASSWORD). */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSW|CREDENTIAL|^OPENAI_|^ANTHROPIC_|^AZURE_|^AWS_/i;

/** The set, non-empty variables of `env` whose names look like credentials. */
export function secretNames(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env).filter((name) => SECRET_NAME.test(name) && Boolean(env[name]));
}

/** The explicit opt-in to run generated code unisolated while a credential is in the environment. */
export const ALLOW_NONE_VARIABLE = "OPTIMAS_SANDBOX_ALLOW_NONE";

/**
 * Under `none` the program can read this process's /proc/<pid>/environ: with a credential set,
 * the plan is refused (nothing has been spent) unless the user opted in.
 */
export function refuseUnisolated(plan: IsolationPlan, env: NodeJS.ProcessEnv): void {
  if (plan !== "none" || env[ALLOW_NONE_VARIABLE] === "1") return;
  const secrets = secretNames(env);
  if (secrets.length === 0) return;
  throw new FatalRunError(
    "BigCodeBench sandbox (isolation plan none)",
    `generated code would run unisolated while ${secrets.join(", ")} ${secrets.length === 1 ? "is" : "are"} set, and could read ${secrets.length === 1 ? "it" : "them"} from /proc/${process.pid}/environ`,
    `run as root or where user namespaces are allowed, unset ${secrets.length === 1 ? "it" : "them"}, or set ${ALLOW_NONE_VARIABLE}=1 to accept the risk`,
  );
}
