/**
 * A small deterministic LMProvider for the LM-layer tests: replies are a hash of everything that
 * determines them, it counts calls and in-flight calls, and it can be scripted to fail or hang.
 */
import { createHash } from "node:crypto";
import { stableStringify } from "../src/core/json";
import type { ChatMeta, ChatRequest, ChatResponse, LMProvider } from "../src/core/lm-types";

export interface FakeProviderOptions {
  id?: string;
  /** Real delay per call, so concurrent calls overlap. */
  delayMs?: number;
  /** Never answer; only an abort ends the call. */
  hang?: boolean;
}

export class FakeProvider implements LMProvider {
  readonly id: string;
  readonly abortable = true;
  calls = 0;
  embedCalls = 0;
  inFlight = 0;
  maxInFlight = 0;
  /** Errors thrown by the next calls, in order (a scripted outage). */
  readonly script: Error[] = [];
  private readonly delayMs: number;
  private readonly hang: boolean;

  constructor(options: FakeProviderOptions = {}) {
    this.id = options.id ?? "fake";
    this.delayMs = options.delayMs ?? 0;
    this.hang = options.hang ?? false;
  }

  static textFor(request: ChatRequest, meta: ChatMeta): string {
    const { model, messages, temperature, maxTokens, topP, seed, sampleIndex } = request;
    const digest = createHash("sha256")
      .update(stableStringify({ model, messages, temperature, maxTokens, topP, seed, sampleIndex: sampleIndex ?? 0 }))
      .digest("hex")
      .slice(0, 12);
    return `${meta.skill ?? "generic"}:${meta.exampleId ?? "-"}:${digest}`;
  }

  async chat(request: ChatRequest, meta: ChatMeta, signal?: AbortSignal): Promise<Omit<ChatResponse, "cached">> {
    this.calls++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.wait(signal);
      const scripted = this.script.shift();
      if (scripted) throw scripted;
      const promptTokens = Math.ceil(request.messages.reduce((n, m) => n + m.content.length, 0) / 4);
      const completionTokens = 7;
      return {
        text: FakeProvider.textFor(request, meta),
        model: request.model,
        usage: { promptTokens, completionTokens },
        costUsd: (promptTokens + 2 * completionTokens) * 1e-6,
        latencyMs: 3,
      };
    } finally {
      this.inFlight--;
    }
  }

  async embed(texts: string[], _model?: string, signal?: AbortSignal): Promise<number[][]> {
    this.embedCalls++;
    await this.wait(signal);
    const scripted = this.script.shift();
    if (scripted) throw scripted;
    return texts.map((t) => [t.length, (t.match(/[aeiou]/g) ?? []).length, 0.5]);
  }

  async models(): Promise<string[]> {
    return ["fake-s", "fake-l"];
  }

  private wait(signal: AbortSignal | undefined): Promise<void> {
    if (!this.hang && this.delayMs === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = this.hang ? undefined : setTimeout(resolve, this.delayMs);
      signal?.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(signal.reason);
      });
    });
  }
}
