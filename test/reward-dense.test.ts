import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { loadTf } from "../src/reward/backend";
import { matMulFor } from "../src/reward/dense";
import { createRng } from "../src/core/random";

function randomMatrix(rows: number, cols: number, seed: string): tf.Tensor2D {
  const rng = createRng(seed);
  return tf.tensor2d(Float32Array.from({ length: rows * cols }, () => 2 * rng() - 1), [rows, cols]);
}

function maxRelativeDiff(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  x.forEach((v, i) => {
    worst = Math.max(worst, Math.abs(v - y[i]!) / (1e-3 + Math.abs(v)));
  });
  return worst;
}

test("the wasm dense matMul has tf.matMul's value and gradients; without inputGrad the input's gradient is zero", async () => {
  await loadTf({ backend: "wasm" });
  const x = randomMatrix(6, 9, "x");
  const w = randomMatrix(9, 4, "w");
  const loss = (mm: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D) => (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(mm(a as tf.Tensor2D, b as tf.Tensor2D)));
  const builtin = tf.grads(loss((a, b) => tf.matMul(a, b)))([x, w]);
  const custom = tf.grads(loss(matMulFor("wasm", true)))([x, w]);
  assert.ok(maxRelativeDiff(builtin[0]!, custom[0]!) < 1e-4, "input gradient");
  assert.ok(maxRelativeDiff(builtin[1]!, custom[1]!) < 1e-4, "weight gradient");
  assert.ok(maxRelativeDiff(tf.matMul(x, w), matMulFor("wasm", false)(x, w)) < 1e-6, "value");

  const [dx, dw] = tf.grads(loss(matMulFor("wasm", false)))([x, w]);
  assert.equal(tf.max(tf.abs(dx!)).dataSync()[0], 0);
  assert.ok(maxRelativeDiff(builtin[1]!, dw!) < 1e-4);
});
