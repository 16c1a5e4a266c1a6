import type { Skill } from "../skill";
import { TOY_SKILLS } from "./toy";
import { AMAZON_SKILLS } from "./amazon";
import { PUBMED_SKILLS } from "./pubmed";
import { HOTPOTQA_SKILLS } from "./hotpotqa";
import { BIGCODEBENCH_SKILLS } from "./bigcodebench";
import { STARK_SKILLS } from "./stark";

/**
 * Every system skill SimLM knows (meta-skills live in meta.ts). To add a system's skills, write
 * `skills/<system>.ts` (see skill.ts) and append its list here. Imports are static because tslab
 * cannot resolve `require` of TypeScript files at run time.
 */
export const BUILTIN_SKILLS: readonly Skill[] = [...TOY_SKILLS, ...AMAZON_SKILLS, ...PUBMED_SKILLS, ...HOTPOTQA_SKILLS, ...BIGCODEBENCH_SKILLS, ...STARK_SKILLS];
