import type { RunContext } from "../core/context";
import type { Component } from "../core/component";
import { LLMComponent } from "../core/llm-component";
import { mapLimit } from "../core/concurrency";
import { callMeta, JUDGE } from "../lm/meta-prompts";
import type { LocalReward, RewardRow } from "./local-reward";

/**
 * The "LLM judge" ablation: local optimizers maximize a 1–10 judge score of one component's
 * output (`judge.score`), which sees the inputs and the output but never the global outcome.
 * The LRF is still trained (for its pair accuracy), only not used to optimize.
 */
export function judgeReward(ctx: RunContext, model: string): LocalReward {
  return {
    kind: "judge",
    async score(component: Component, rows: readonly RewardRow[]): Promise<number[]> {
      return mapLimit(rows, 8, async (row, i) => {
        const reply = await callMeta(
          JUDGE,
          { component_description: component.description, component_inputs: JSON.stringify(row.inputs), component_output: JSON.stringify(row.outputs) },
          { lm: ctx.lm, model, skill: "judge.score", targetSkill: component instanceof LLMComponent ? component.skill : undefined, temperature: 0, sampleIndex: i, stage: "optimize" },
        );
        const score = Number.parseFloat(String(reply.score ?? ""));
        return Number.isFinite(score) ? score : 1;
      });
    },
  };
}
