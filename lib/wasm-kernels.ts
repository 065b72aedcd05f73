/**
 * Faster kernels for the tfjs wasm backend, for training and for inference.
 *
 * The stock wasm backend (tfjs 4.22) is built for inference, and not all of it well: it has no
 * Conv2DBackpropFilter kernel at all (so conv gradients fail), and its transposed BatchMatMul and its
 * Conv2DBackpropInput are naive loops, much slower than its XNNPACK-backed untransposed BatchMatMul and Conv2D.
 * The overrides below express the three kernels through those fast ones. Training needs all three
 * (`training/bench-training.ts` measures them: a small conv autoencoder's training step runs a few hundred times
 * faster than on the cpu backend); inference meets Conv2DBackpropInput in every transposed convolution, the DAE's
 * upsampling layer among them (3.3 ms of a 64x64 face's 26 on the server's wasm, 0.85 ms with the override:
 * docs/server.md, "Throughput").
 *
 * Every kernel here works on TensorInfos directly: it calls the wasm
 * backend's own kernel functions, writes into wasm heap buffers made with
 * `backend.makeOutput`, and frees each intermediate with
 * `backend.disposeData`, so only the returned TensorInfo outlives the call.
 * Dilations need no check: these kernels have no dilation attribute (tfjs
 * refuses gradients of dilated convolutions before reaching them).
 */
import * as tf from "@tensorflow/tfjs-core";
import type {
  BatchMatMulAttrs,
  Conv2DBackpropFilterAttrs,
  Conv2DBackpropInputAttrs,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  NamedTensorInfoMap,
  TensorInfo,
} from "@tensorflow/tfjs-core";
// Importing the package registers the stock wasm kernels this file builds on.
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-backend-wasm";

type Conv2DInfo = tf.backend_util.Conv2DInfo;
type Shape4D = [number, number, number, number];

interface WasmKernelArgs {
  inputs: NamedTensorInfoMap;
  backend: BackendWasm;
  attrs: NamedAttrMap;
}

type WasmKernel = (args: WasmKernelArgs) => TensorInfo;

/** The named inputs a kernel requires (the engine passes them all; NamedTensorInfoMap types them optional). */
type KernelInputs<Name extends string> = Record<Name, TensorInfo>;

const WASM = "wasm";

let registered = false;

/**
 * Replaces BatchMatMul and Conv2DBackpropInput and adds Conv2DBackpropFilter
 * on the wasm backend. Safe to call more than once, and before or after the
 * wasm backend has been initialised.
 */
export function registerWasmKernels(): void {
  if (registered) return;
  const stockBatchMatMul = stockKernel(tf.BatchMatMul);
  const batchMatMul = stockBatchMatMul.kernelFunc as WasmKernel;
  const conv2d = stockKernel(tf.Conv2D).kernelFunc as WasmKernel;
  const transpose = stockKernel(tf.Transpose).kernelFunc as WasmKernel;

  override({
    kernelName: tf.BatchMatMul,
    // The stock setup binds the C++ matmul that the override delegates to;
    // the engine reruns setup functions whenever the wasm backend is selected.
    setupFunc: stockBatchMatMul.setupFunc,
    kernelFunc: (args) => batchMatMulWithoutTransposes(args, batchMatMul, transpose),
  });
  override({
    kernelName: tf.Conv2DBackpropFilter,
    kernelFunc: (args) => conv2dBackpropFilter(args, batchMatMul),
  });
  override({
    kernelName: tf.Conv2DBackpropInput,
    kernelFunc: (args) => conv2dBackpropInput(args, conv2d),
  });
  registered = true;
}

function stockKernel(kernelName: string): KernelConfig {
  const config = tf.getKernel(kernelName, WASM);
  if (config === undefined) {
    throw new Error(`wasm kernel overrides: the stock wasm kernel ${kernelName} is not registered`);
  }
  return config;
}

function override(config: {
  kernelName: string;
  setupFunc?: KernelConfig["setupFunc"];
  kernelFunc: WasmKernel;
}): void {
  if (tf.getKernel(config.kernelName, WASM) !== undefined) {
    tf.unregisterKernel(config.kernelName, WASM);
  }
  tf.registerKernel({ ...config, backendName: WASM, kernelFunc: config.kernelFunc as unknown as KernelFunc });
}

function asAttrs(attrs: object): NamedAttrMap {
  return attrs as NamedAttrMap;
}

function disposeIntermediate(backend: BackendWasm, info: TensorInfo): void {
  backend.disposeData(info.dataId);
}

/** The attributes both convolution gradients share. */
type ConvolutionAttrs = Pick<Conv2DBackpropInputAttrs, "strides" | "pad" | "dataFormat" | "dimRoundingMode">;

/**
 * The geometry of the forward convolution whose gradient a kernel computes, after checking what the overrides
 * support (channels-last float32 tensors).
 */
function convolutionInfo(
  kernelName: string,
  attrs: NamedAttrMap,
  inputShape: Shape4D,
  filterShape: Shape4D,
  tensors: TensorInfo[],
): Conv2DInfo {
  const { strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as ConvolutionAttrs;
  if (dataFormat !== "NHWC") {
    throw new Error(`wasm ${kernelName} override supports dataFormat NHWC only, got ${dataFormat}`);
  }
  for (const tensor of tensors) {
    if (tensor.dtype !== "float32") {
      throw new Error(`wasm ${kernelName} override supports float32 only, got ${tensor.dtype}`);
    }
  }
  return tf.backend_util.computeConv2DInfo(inputShape, filterShape, strides, 1, pad, dimRoundingMode, false, "channelsLast");
}

// ---------------------------------------------------------------------------
// BatchMatMul: the stock kernel only uses XNNPACK when neither operand is
// transposed. Matmul gradients always ask for one transposed operand, so
// materialise the transpose with the (fast, memory-bound) Transpose kernel
// and multiply untransposed.

function batchMatMulWithoutTransposes(
  args: WasmKernelArgs,
  stockBatchMatMul: WasmKernel,
  transpose: WasmKernel,
): TensorInfo {
  const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
  if (!transposeA && !transposeB) return stockBatchMatMul(args);

  const { backend } = args;
  const { a, b } = args.inputs as KernelInputs<"a" | "b">;
  const plainA = transposeA ? swapLastTwoAxes(a, backend, transpose) : a;
  const plainB = transposeB ? swapLastTwoAxes(b, backend, transpose) : b;
  const product = stockBatchMatMul({
    inputs: { a: plainA, b: plainB },
    backend,
    attrs: asAttrs({ transposeA: false, transposeB: false }),
  });
  if (transposeA) disposeIntermediate(backend, plainA);
  if (transposeB) disposeIntermediate(backend, plainB);
  return product;
}

function swapLastTwoAxes(x: TensorInfo, backend: BackendWasm, transpose: WasmKernel): TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
  return transpose({ inputs: { x }, backend, attrs: asAttrs({ perm }) });
}

// ---------------------------------------------------------------------------
// Conv2DBackpropFilter (missing from the stock backend) as im2col + matmul:
//   dW[fh, fw, ci, co] = sum over (b, oh, ow) of
//       x[b, oh * strideH + fh - padTop, ow * strideW + fw - padLeft, ci] * dy[b, oh, ow, co]
// i.e. dW = patchesT @ dy, with patchesT of shape
// [filterH * filterW * inChannels, batch * outH * outW]. Building the patch
// matrix already transposed keeps the matmul untransposed (the fast path).

function conv2dBackpropFilter(args: WasmKernelArgs, batchMatMul: WasmKernel): TensorInfo {
  const { backend } = args;
  const { x, dy } = args.inputs as KernelInputs<"x" | "dy">;
  const { filterShape } = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  const info = convolutionInfo(tf.Conv2DBackpropFilter, args.attrs, x.shape as Shape4D, filterShape, [x, dy]);
  const patchRows = info.filterHeight * info.filterWidth * info.inChannels;
  const patchColumns = info.batchSize * info.outHeight * info.outWidth;

  const patchesT = backend.makeOutput([1, patchRows, patchColumns], "float32");
  writeTransposedPatches(
    backend.typedArrayFromHeap(x) as Float32Array,
    backend.typedArrayFromHeap(patchesT) as Float32Array,
    info,
  );
  const dyAsMatrix: TensorInfo = { ...dy, shape: [1, patchColumns, info.outChannels] };
  const filterGradient = batchMatMul({
    inputs: { a: patchesT, b: dyAsMatrix },
    backend,
    attrs: asAttrs({ transposeA: false, transposeB: false }),
  });
  disposeIntermediate(backend, patchesT);
  return { ...filterGradient, shape: [...filterShape] };
}

/**
 * Fills patchesT[(fh * filterW + fw) * inC + ci][(b * outH + oh) * outW + ow]
 * with the input value that filter tap (fh, fw, ci) sees at output pixel
 * (b, oh, ow), or 0 where the tap falls in the padding. The channel loop sits
 * inside the row loop so one input row stays in cache while it is read; one
 * fill up front zeroes the padding taps (a fill per run costs more than it saves).
 */
function writeTransposedPatches(x: Float32Array, patchesT: Float32Array, info: Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const { top: padTop, left: padLeft } = info.padInfo;
  const columns = batchSize * outHeight * outWidth;
  const columnStep = strideWidth * inChannels;
  patchesT.fill(0);
  for (let fh = 0; fh < filterHeight; fh++) {
    for (let fw = 0; fw < filterWidth; fw++) {
      // Output columns whose tap (fh, fw) lands inside the image horizontally: [firstOw, endOw).
      const firstOw = Math.min(outWidth, Math.max(0, Math.ceil((padLeft - fw) / strideWidth)));
      const endOw = Math.max(firstOw, Math.min(outWidth, Math.floor((inWidth - 1 + padLeft - fw) / strideWidth) + 1));
      const tapRow = (fh * filterWidth + fw) * inChannels;
      for (let b = 0; b < batchSize; b++) {
        for (let oh = 0; oh < outHeight; oh++) {
          const ih = oh * strideHeight + fh - padTop;
          if (ih < 0 || ih >= inHeight) continue;
          const column = (b * outHeight + oh) * outWidth;
          const rowStart = ((b * inHeight + ih) * inWidth + firstOw * strideWidth + fw - padLeft) * inChannels;
          for (let ci = 0; ci < inChannels; ci++) {
            const out = (tapRow + ci) * columns + column;
            for (let ow = firstOw, src = rowStart + ci; ow < endOw; ow++, src += columnStep) {
              patchesT[out + ow] = x[src];
            }
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Conv2DBackpropInput (the transposed convolution) as stride-1 Conv2Ds, which
// run on XNNPACK. The textbook form is dx = conv2d(zero-inserted dy, flipped
// filter), but for stride s that spends s*s - 1 of every s*s multiplications
// on inserted zeros. Instead, split dx by output phase (ih mod strideH,
// iw mod strideW): each phase only meets the filter taps congruent to it, so
// it is a stride-1 convolution of dy itself with that sub-filter, and the
// phase outputs interleave into dx. That is the forward conv's arithmetic.
//
// Per axis, with filter size F, stride s, leading pad p and phase r, the
// output i = s * q + r is (W' being the flipped filter, W'[f] = W[F - 1 - f])
//   dx[i] = sum over taps t of dy[q + base + t] * W'[first + s * t]
// where first = (F - 1 - p - r) mod s and base = (r + p - F + 1 + first) / s.

interface PhaseAxis {
  phase: number;
  stride: number;
  /** Number of sub-filter taps; tap t is W'[first + stride * t]. */
  taps: number;
  first: number;
  /** Number of dx positions in this phase: phase, phase + stride, ... < input size. */
  outputs: number;
  /** Zero padding of dy for the sub-convolution, its output size, and where the phase's first dx position is in it. */
  padBefore: number;
  padAfter: number;
  convOutputs: number;
  offset: number;
}

function phaseAxis(
  phase: number,
  stride: number,
  filterSize: number,
  pad: number,
  inSize: number,
  dySize: number,
): PhaseAxis {
  const first = (((filterSize - 1 - pad - phase) % stride) + stride) % stride;
  const taps = Math.max(0, Math.ceil((filterSize - first) / stride));
  const outputs = Math.max(0, Math.ceil((inSize - phase) / stride));
  const base = (phase + pad - filterSize + 1 + first) / stride;
  const padBefore = Math.max(0, -base);
  const offset = base + padBefore;
  const padAfter = Math.max(0, offset + outputs + taps - 1 - dySize - padBefore);
  const convOutputs = padBefore + dySize + padAfter - taps + 1;
  return { phase, stride, taps, first, outputs, padBefore, padAfter, convOutputs, offset };
}

/** Whether the sub-convolution's output along this axis is exactly dx's (stride 1, nothing to crop). */
function isWholeAxis(axis: PhaseAxis): boolean {
  return axis.stride === 1 && axis.offset === 0 && axis.convOutputs === axis.outputs;
}

function conv2dBackpropInput(args: WasmKernelArgs, conv2d: WasmKernel): TensorInfo {
  const { backend } = args;
  const { dy, filter } = args.inputs as KernelInputs<"dy" | "filter">;
  const { inputShape } = args.attrs as unknown as Conv2DBackpropInputAttrs;
  const info = convolutionInfo(tf.Conv2DBackpropInput, args.attrs, inputShape, filter.shape as Shape4D, [dy, filter]);
  const rowPhases = [...Array(info.strideHeight).keys()].map((phase) =>
    phaseAxis(phase, info.strideHeight, info.filterHeight, info.padInfo.top, info.inHeight, info.outHeight));
  const columnPhases = [...Array(info.strideWidth).keys()].map((phase) =>
    phaseAxis(phase, info.strideWidth, info.filterWidth, info.padInfo.left, info.inWidth, info.outWidth));

  if (isWholeAxis(rowPhases[0]) && isWholeAxis(columnPhases[0])) {
    return phaseConv2d(dy, filter, rowPhases[0], columnPhases[0], backend, conv2d);
  }
  const dx = backend.makeOutput([...inputShape], "float32");
  // Phases without taps (a filter smaller than the stride) stay zero.
  (backend.typedArrayFromHeap(dx) as Float32Array).fill(0);
  for (const rows of rowPhases) {
    for (const columns of columnPhases) {
      if (rows.taps * rows.outputs * columns.taps * columns.outputs === 0) continue;
      const phaseOutput = phaseConv2d(dy, filter, rows, columns, backend, conv2d);
      scatterPhase(phaseOutput, dx, rows, columns, backend);
      disposeIntermediate(backend, phaseOutput);
    }
  }
  return dx;
}

/** The stride-1 convolution of dy with the phase's sub-filter, padded as the phase needs. */
function phaseConv2d(
  dy: TensorInfo,
  filter: TensorInfo,
  rows: PhaseAxis,
  columns: PhaseAxis,
  backend: BackendWasm,
  conv2d: WasmKernel,
): TensorInfo {
  const subFilter = makeSubFilter(filter, rows, columns, backend);
  const output = conv2d({
    inputs: { x: dy, filter: subFilter },
    backend,
    attrs: asAttrs({
      strides: 1,
      dilations: 1,
      pad: [[0, 0], [rows.padBefore, rows.padAfter], [columns.padBefore, columns.padAfter], [0, 0]],
      dataFormat: "NHWC",
    }),
  });
  disposeIntermediate(backend, subFilter);
  return output;
}

/**
 * sub[th, tw, co, ci] = W'[rows.first + strideH * th, columns.first + strideW * tw, ci, co]:
 * the phase's taps of the flipped filter, with input and output channels swapped.
 */
function makeSubFilter(filter: TensorInfo, rows: PhaseAxis, columns: PhaseAxis, backend: BackendWasm): TensorInfo {
  const [filterHeight, filterWidth, inChannels, outChannels] = filter.shape;
  const subFilter = backend.makeOutput([rows.taps, columns.taps, outChannels, inChannels], "float32");
  // Views taken after the allocation, which may have grown (and so replaced) the wasm heap.
  const source = backend.typedArrayFromHeap(filter) as Float32Array;
  const target = backend.typedArrayFromHeap(subFilter) as Float32Array;
  let out = 0;
  for (let th = 0; th < rows.taps; th++) {
    const fh = filterHeight - 1 - (rows.first + rows.stride * th);
    for (let tw = 0; tw < columns.taps; tw++) {
      const fw = filterWidth - 1 - (columns.first + columns.stride * tw);
      const tap = (fh * filterWidth + fw) * inChannels * outChannels;
      for (let co = 0; co < outChannels; co++) {
        for (let ci = 0; ci < inChannels; ci++) target[out++] = source[tap + ci * outChannels + co];
      }
    }
  }
  return subFilter;
}

/** dx[b, phase + stride * q, ...] = phaseOutput[b, offset + q, ...] along both axes. */
function scatterPhase(
  phaseOutput: TensorInfo,
  dx: TensorInfo,
  rows: PhaseAxis,
  columns: PhaseAxis,
  backend: BackendWasm,
): void {
  const [batchSize, inHeight, inWidth, channels] = dx.shape;
  const [, phaseHeight, phaseWidth] = phaseOutput.shape;
  const source = backend.typedArrayFromHeap(phaseOutput) as Float32Array;
  const target = backend.typedArrayFromHeap(dx) as Float32Array;
  const targetStep = columns.stride * channels;
  for (let b = 0; b < batchSize; b++) {
    for (let q = 0; q < rows.outputs; q++) {
      let src = ((b * phaseHeight + rows.offset + q) * phaseWidth + columns.offset) * channels;
      let dst = ((b * inHeight + rows.phase + rows.stride * q) * inWidth + columns.phase) * channels;
      for (let qw = 0; qw < columns.outputs; qw++, dst += targetStep) {
        for (let c = 0; c < channels; c++) target[dst + c] = source[src++];
      }
    }
  }
}
