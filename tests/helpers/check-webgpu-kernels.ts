/**
 * Prints, as one JSON line, how far the webgpu Conv2DBackpropFilter (our override) is from the cpu backend's for a
 * few convolution shapes, and how many tensors each check leaked. Run by tests/unit/webgpu-overrides.test.ts.
 */
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../training/backend";

type Shape4D = [number, number, number, number];
const CASES: { name: string; x: Shape4D; filter: Shape4D; strides: number; pad: "same" | "valid" }[] = [
  { name: "3x3 s1 same 3->8", x: [2, 9, 7, 3], filter: [3, 3, 3, 8], strides: 1, pad: "same" },
  { name: "3x3 s2 same 8->16", x: [2, 16, 16, 8], filter: [3, 3, 8, 16], strides: 2, pad: "same" },
  { name: "4x4 s2 same 3->8", x: [1, 12, 10, 3], filter: [4, 4, 3, 8], strides: 2, pad: "same" },
  { name: "3x3 s1 valid 4->5", x: [3, 8, 8, 4], filter: [3, 3, 4, 5], strides: 1, pad: "valid" },
  { name: "1x1 s1 same 6->2", x: [2, 5, 5, 6], filter: [1, 1, 6, 2], strides: 1, pad: "same" },
];

function filterGradient(x: Shape4D, dy: tf.Tensor4D, c: (typeof CASES)[number], xs: Float32Array, dys: Float32Array) {
  return tf.tidy(() => {
    const xt = tf.tensor4d(xs, x);
    const dyt = tf.tensor4d(dys, dy.shape);
    // The gradient of Σ conv2d(x, w) · dy with respect to w is exactly the Conv2DBackpropFilter kernel's output.
    const gradient = tf.grad((w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xt, w as tf.Tensor4D, c.strides, c.pad), dyt)));
    return gradient(tf.zeros(c.filter));
  });
}

const results = [];
for (const c of CASES) {
  await selectBackend("cpu");
  const x = tf.randomUniform(c.x, -1, 1, "float32", 1);
  const dyShape = tf.conv2d(x as tf.Tensor4D, tf.zeros(c.filter) as tf.Tensor4D, c.strides, c.pad).shape as Shape4D;
  const dy = tf.randomUniform(dyShape, -1, 1, "float32", 2) as tf.Tensor4D;
  const [xs, dys] = [x.dataSync() as Float32Array, dy.dataSync() as Float32Array];
  const expected = filterGradient(c.x, dy, c, xs, dys).dataSync();
  await selectBackend("webgpu");
  // Tensors the engine tracks, and buffers the backend holds (a kernel's own temporaries show only there).
  const before = tf.memory().numTensors + tf.engine().backend.numDataIds();
  const actual = filterGradient(c.x, dy, c, xs, dys);
  const values = await actual.data();
  actual.dispose();
  const leaked = tf.memory().numTensors + tf.engine().backend.numDataIds() - before;
  const scale = Math.max(...Array.from(expected, Math.abs));
  const error = Math.max(...Array.from(values, (v, i) => Math.abs(v - expected[i])));
  results.push({ name: c.name, relativeError: error / scale, leaked });
}
console.log(JSON.stringify(results));

