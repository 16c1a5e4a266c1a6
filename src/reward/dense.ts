import * as tf from "@tensorflow/tfjs";
import type { TfBackend } from "./backend";

/** `x · w` for a dense layer, with a gradient suited to the backend. */
export type MatMul = (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/**
 * tfjs-wasm multiplies ~10× slower when an operand is flagged transposed (measured: 28 ms vs 2.8 ms
 * for a [4111×64]·[64×128] weight gradient), and `matMul`'s built-in gradient uses exactly those
 * flags. On wasm the layers therefore use a matMul whose gradient transposes explicitly first. On
 * the other backends the built-in is as fast or faster (cpu: explicit transposes are slower).
 * `inputGrad: false` skips the input's gradient, for the first layer whose input is data.
 */
export function matMulFor(backend: TfBackend, inputGrad: boolean): MatMul {
  if (backend !== "wasm") return (x, w) => tf.matMul(x, w);
  const op = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([x, w]);
    return {
      value: tf.matMul(x, w),
      gradFunc: (dy: tf.Tensor2D, [sx, sw]: tf.Tensor2D[]) => [
        inputGrad ? tf.matMul(dy, tf.transpose(sw!)) : tf.zerosLike(sx!),
        tf.matMul(tf.transpose(sx!), dy),
      ],
    };
    // tfjs types customGrad's callback loosely (variadic Tensor[]); the cast restores the two operands.
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op as unknown as MatMul;
}
