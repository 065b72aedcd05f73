import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { registerWasmKernels } from "@/lib/wasm-kernels";
import { selectBackend } from "@/training/backend";
import { CONV_CASES, type ConvCase, type Shape4D } from "../../helpers/conv-cases";

/** max|a - b| / max|b|: the error relative to the reference's scale. */
const TOLERANCE = 1e-4;


/** Deterministic values in [-1, 1) so both backends see the same inputs. */
function seededValues(shape: number[], seed: number): Float32Array {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let state = seed >>> 0 || 1;
  for (let i = 0; i < values.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = state / 2 ** 31 - 1;
  }
  return values;
}

function seededTensor(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(seededValues(shape, seed), shape);
}

function wasmDataIds(): number {
  return (tf.engine().findBackend("wasm") as BackendWasm).numDataIds();
}

/**
 * Runs `compute` (which creates its inputs itself, so nothing moves between backends) on `backend` and returns the
 * values of every tensor it returns, after checking that it left no tensor and no wasm buffer behind.
 */
async function valuesOn(backend: "wasm" | "cpu", compute: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const tensorsBefore = tf.memory().numTensors;
  const wasmBuffersBefore = wasmDataIds();
  const values = tf.tidy(() => compute().map((tensor) => tensor.dataSync() as Float32Array));
  expect(tf.memory().numTensors).toBe(tensorsBefore);
  expect(wasmDataIds()).toBe(wasmBuffersBefore);
  return values;
}

function relativeError(actual: Float32Array, expected: Float32Array): number {
  expect(actual.length).toBe(expected.length);
  let maxDifference = 0;
  let maxReference = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDifference = Math.max(maxDifference, Math.abs(actual[i] - expected[i]));
    maxReference = Math.max(maxReference, Math.abs(expected[i]));
  }
  return maxDifference / maxReference;
}

async function expectWasmMatchesCpu(compute: () => tf.Tensor[]): Promise<void> {
  const wasm = await valuesOn("wasm", compute);
  const cpu = await valuesOn("cpu", compute);
  expect(wasm.length).toBe(cpu.length);
  wasm.forEach((values, i) => expect(relativeError(values, cpu[i])).toBeLessThan(TOLERANCE));
}

function runKernel(kernelName: string, inputs: tf.NamedTensorMap, attrs: object): tf.Tensor {
  return tf.engine().runKernel(kernelName, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
}

function outputShape({ input, filter, strides, pad }: ConvCase): Shape4D {
  return tf.backend_util.computeConv2DInfo(input, filter, strides, 1, pad).outShape as Shape4D;
}

describe("wasm kernel overrides (lib/wasm-kernels)", () => {
  beforeAll(async () => {
    await selectBackend("wasm");
  });

  it("registering twice keeps the same kernels", () => {
    const names = [tf.BatchMatMul, tf.Conv2DBackpropFilter, tf.Conv2DBackpropInput];
    const before = names.map((name) => tf.getKernel(name, "wasm")?.kernelFunc);
    registerWasmKernels();
    expect(names.map((name) => tf.getKernel(name, "wasm")?.kernelFunc)).toEqual(before);
    expect(before.every((kernelFunc) => kernelFunc !== undefined)).toBe(true);
  });

  describe.each(CONV_CASES)("conv $name, input $input", (conv) => {
    const attrs = { strides: conv.strides, pad: conv.pad, dataFormat: "NHWC" };

    it("Conv2DBackpropFilter matches cpu", async () => {
      await expectWasmMatchesCpu(() => [
        runKernel(
          tf.Conv2DBackpropFilter,
          { x: seededTensor(conv.input, 1), dy: seededTensor(outputShape(conv), 2) },
          { ...attrs, filterShape: conv.filter },
        ),
      ]);
    });

    it("Conv2DBackpropInput matches cpu", async () => {
      await expectWasmMatchesCpu(() => [
        runKernel(
          tf.Conv2DBackpropInput,
          { dy: seededTensor(outputShape(conv), 3), filter: seededTensor(conv.filter, 4) },
          { ...attrs, inputShape: conv.input },
        ),
      ]);
    });
  });

  describe.each([
    { a: [5, 7], b: [7, 4], transposeA: false, transposeB: false },
    { a: [7, 5], b: [7, 4], transposeA: true, transposeB: false },
    { a: [5, 7], b: [4, 7], transposeA: false, transposeB: true },
    { a: [7, 5], b: [4, 7], transposeA: true, transposeB: true },
    { a: [3, 33, 17], b: [3, 33, 9], transposeA: true, transposeB: false },
    { a: [3, 17, 33], b: [1, 9, 33], transposeA: false, transposeB: true },
    { a: [2, 3, 64, 16], b: [2, 3, 8, 64], transposeA: true, transposeB: true },
  ])("BatchMatMul $a x $b, transposeA $transposeA, transposeB $transposeB", ({ a, b, transposeA, transposeB }) => {
    it("matches cpu", async () => {
      await expectWasmMatchesCpu(() => [tf.matMul(seededTensor(a, 5), seededTensor(b, 6), transposeA, transposeB)]);
    });
  });

  it("the gradients of a conv / deconv / dense model's loss match cpu", async () => {
    const shapes = {
      images: [2, 8, 8, 3],
      conv: [3, 3, 3, 8],
      deconv: [3, 3, 4, 8],
      dense: [8 * 8 * 4, 5],
      target: [2, 5],
    };
    await expectWasmMatchesCpu(() => {
      const [images, conv, deconv, dense, target] = Object.values(shapes).map((shape, i) => seededTensor(shape, 10 + i));
      const loss = (x: tf.Tensor, convFilter: tf.Tensor, deconvFilter: tf.Tensor, denseWeights: tf.Tensor) => {
        const down = tf.relu(tf.conv2d(x as tf.Tensor4D, convFilter as tf.Tensor4D, 2, "same"));
        const up = tf.conv2dTranspose(down, deconvFilter as tf.Tensor4D, [2, 8, 8, 4], 2, "same");
        const output = tf.matMul(tf.reshape(up, [2, -1]), denseWeights);
        return tf.losses.meanSquaredError(target, output);
      };
      return tf.grads(loss)([images, conv, deconv, dense]);
    });
  });

  it("rejects NCHW with a clear error", async () => {
    await tf.setBackend("wasm");
    const attrs = { strides: 1, pad: "same", dataFormat: "NCHW", filterShape: [3, 3, 3, 4] };
    tf.tidy(() => {
      const x = tf.zeros([1, 3, 8, 8]);
      const dy = tf.zeros([1, 4, 8, 8]);
      expect(() => runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs)).toThrow(/supports dataFormat NHWC only/);
    });
  });
});
