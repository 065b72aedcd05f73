/**
 * Prints, as one JSON line, how far the webgpu Conv2DBackpropFilter is from the cpu backend's on every shape the wasm
 * overrides are checked on (tests/helpers/conv-cases.ts), how many tensors each check leaked, and whether the kernel
 * that ran was our override: the registry must hold the kernel training/kernels/webgpu-overrides.ts registered,
 * and a counting wrapper around it must see every gradient call. Run by tests/unit/training/webgpu-overrides.test.ts.
 */
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../training/backend";
import { registerWebGpuTrainingKernels } from "../../training/kernels/webgpu-overrides";
import { CONV_CASES, type ConvCase, type Shape4D } from "./conv-cases";

/** The filter gradient of Σ conv2d(x, w) · dy: exactly what the Conv2DBackpropFilter kernel computes. */
function filterGradient(c: ConvCase, xs: Float32Array, dys: Float32Array, dyShape: Shape4D) {
  return tf.tidy(() => {
    const [x, dy] = [tf.tensor4d(xs, c.input), tf.tensor4d(dys, dyShape)];
    const gradient = tf.grad((w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, w as tf.Tensor4D, c.strides, c.pad), dy)));
    return gradient(tf.zeros(c.filter));
  });
}

// The cpu backend's answers first, then one switch to webgpu: Dawn is set up once per process.
await selectBackend("cpu");
const references = CONV_CASES.map((c) => {
  const x = tf.randomUniform(c.input, -1, 1, "float32", 1);
  const dyShape = tf.conv2d(x as tf.Tensor4D, tf.zeros(c.filter) as tf.Tensor4D, c.strides, c.pad).shape as Shape4D;
  const dy = tf.randomUniform(dyShape, -1, 1, "float32", 2);
  const [xs, dys] = [x.dataSync() as Float32Array, dy.dataSync() as Float32Array];
  return { c, xs, dys, dyShape, expected: filterGradient(c, xs, dys, dyShape).dataSync() };
});

await selectBackend("webgpu");
// Ours, as registered; counted from here on by a wrapper, so the check sees that the gradients go through it.
const [ours] = registerWebGpuTrainingKernels();
const registeredIsOurs = tf.getKernel(ours.kernelName, "webgpu")?.kernelFunc === ours.kernelFunc;
let calls = 0;
tf.unregisterKernel(ours.kernelName, "webgpu");
tf.registerKernel({ ...ours, kernelFunc: (args) => (calls++, ours.kernelFunc(args)) });

const cases = [];
for (const { c, xs, dys, dyShape, expected } of references) {
  const callsBefore = calls;
  // Tensors the engine tracks, and buffers the backend holds (a kernel's own temporaries show only there).
  const before = tf.memory().numTensors + tf.engine().backend.numDataIds();
  const actual = filterGradient(c, xs, dys, dyShape);
  const values = await actual.data();
  actual.dispose();
  const leaked = tf.memory().numTensors + tf.engine().backend.numDataIds() - before;
  const scale = Math.max(...Array.from(expected, Math.abs));
  const error = Math.max(...Array.from(values, (v, i) => Math.abs(v - expected[i])));
  cases.push({ name: c.name, relativeError: error / scale, leaked, oursRan: calls > callsBefore });
}
console.log(JSON.stringify({ registeredIsOurs, cases }));
