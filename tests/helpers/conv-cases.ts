/**
 * The convolution shapes the training kernel overrides are checked on, on wasm (tests/unit/shared/
 * wasm-kernels.test.ts) and on webgpu (tests/helpers/check-webgpu-kernels.ts): odd sizes, asymmetric strides,
 * same, valid, numeric and explicit padding, pads wider than the filter.
 */
export type Shape4D = [number, number, number, number];
export type Pad = "same" | "valid" | number | [[number, number], [number, number], [number, number], [number, number]];

export interface ConvCase {
  name: string;
  input: Shape4D;
  filter: Shape4D;
  strides: number | [number, number];
  pad: Pad;
}

export const CONV_CASES: ConvCase[] = [
  { name: "3x3 s1 same, 3->16", input: [1, 8, 8, 3], filter: [3, 3, 3, 16], strides: 1, pad: "same" },
  { name: "3x3 s2 same, odd sizes, 3->16", input: [2, 9, 7, 3], filter: [3, 3, 3, 16], strides: 2, pad: "same" },
  { name: "3x3 s2 valid, odd sizes, 16->8", input: [2, 9, 7, 16], filter: [3, 3, 16, 8], strides: 2, pad: "valid" },
  { name: "4x4 s2 same (the DAE's deconv), 16->8", input: [3, 9, 10, 16], filter: [4, 4, 16, 8], strides: 2, pad: "same" },
  { name: "5x3 strides [2, 1] valid, 5->7", input: [2, 11, 6, 5], filter: [5, 3, 5, 7], strides: [2, 1], pad: "valid" },
  { name: "1x1 s2 same, 4->6", input: [2, 7, 8, 4], filter: [1, 1, 4, 6], strides: 2, pad: "same" },
  { name: "3x3 s3 same, 4->6", input: [2, 10, 11, 4], filter: [3, 3, 4, 6], strides: 3, pad: "same" },
  { name: "3x3 s2 numeric pad 1, 4->6", input: [2, 8, 8, 4], filter: [3, 3, 4, 6], strides: 2, pad: 1 },
  {
    name: "3x3 s2 explicit pads, 4->6",
    input: [2, 8, 9, 4],
    filter: [3, 3, 4, 6],
    strides: 2,
    pad: [[0, 0], [1, 0], [0, 2], [0, 0]],
  },
  {
    name: "3x3 s2 explicit pads wider than the filter, 4->6",
    input: [2, 8, 9, 4],
    filter: [3, 3, 4, 6],
    strides: 2,
    pad: [[0, 0], [4, 1], [0, 3], [0, 0]],
  },
  {
    name: "3x3 s1 explicit pads wider than the filter, 4->6",
    input: [2, 6, 7, 4],
    filter: [3, 3, 4, 6],
    strides: 1,
    pad: [[0, 0], [3, 0], [1, 4], [0, 0]],
  },
];
