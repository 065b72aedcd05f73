/**
 * A training kernel for tfjs' webgpu backend.
 *
 * The stock webgpu Conv2DBackpropFilter (tfjs 4.22) gives each filter weight one GPU thread that loops over the
 * whole batch and image: for a conv autoencoder that is 95% of a training step, 50-155x behind PyTorch on an H100
 * (../shared/docs/gpu-training.md). The filter gradient is a sum over positions, so it is a matrix product: for each
 * filter tap (i, j), dW[i, j] = X(i,j)ᵀ · dY, where X(i,j) holds the input pixels that tap sees at every output
 * position ([batch * outHeight * outWidth, inChannels]) and dY the output gradient ([same, outChannels]). This
 * override computes those products with the backend's tiled matmul, which splits the long reduction across the GPU.
 *
 * Like the wasm overrides, it calls the backend's own kernel functions on TensorInfos and frees every intermediate,
 * so only the returned TensorInfo outlives the call.
 */
import * as tf from "@tensorflow/tfjs";
import type { Conv2DBackpropFilterAttrs, KernelBackend, KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from "@tensorflow/tfjs";

const WEBGPU = "webgpu";

type Shape4D = [number, number, number, number];
type Kernel = (args: { inputs: NamedTensorInfoMap | TensorInfo[]; backend: KernelBackend; attrs?: NamedAttrMap }) => TensorInfo;

const registered: KernelConfig[] = [];

/**
 * Replaces Conv2DBackpropFilter on the webgpu backend; call after the backend package has registered its kernels.
 * Returns the kernels it registered (once; later calls return the same), so a check can tell ours from tfjs' own.
 */
export function registerWebGpuTrainingKernels(): readonly KernelConfig[] {
  if (registered.length > 0) return registered;
  const kernels = {
    pad: stockKernel(tf.PadV2),
    slice: stockKernel(tf.StridedSlice),
    reshape: stockKernel(tf.Reshape),
    matMul: stockKernel(tf.BatchMatMul),
    concat: stockKernel(tf.Concat),
  };
  if (tf.getKernel(tf.Conv2DBackpropFilter, WEBGPU) !== undefined) tf.unregisterKernel(tf.Conv2DBackpropFilter, WEBGPU);
  const config: KernelConfig = {
    kernelName: tf.Conv2DBackpropFilter,
    backendName: WEBGPU,
    kernelFunc: ((args: { inputs: NamedTensorInfoMap; backend: KernelBackend; attrs: NamedAttrMap }) =>
      conv2dBackpropFilter(args, kernels)) as unknown as KernelFunc,
  };
  tf.registerKernel(config);
  registered.push(config);
  return registered;
}

function stockKernel(kernelName: string): Kernel {
  const config = tf.getKernel(kernelName, WEBGPU);
  if (config === undefined) throw new Error(`webgpu training kernels: the stock webgpu kernel ${kernelName} is not registered`);
  return config.kernelFunc as unknown as Kernel;
}

function conv2dBackpropFilter(
  { inputs, backend, attrs }: { inputs: NamedTensorInfoMap; backend: KernelBackend; attrs: NamedAttrMap },
  kernels: Record<"pad" | "slice" | "reshape" | "matMul" | "concat", Kernel>,
): TensorInfo {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
  if (dataFormat !== "NHWC") throw new Error(`webgpu Conv2DBackpropFilter override: only NHWC is supported, got ${dataFormat}`);
  const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4D, filterShape, strides, 1, pad, dimRoundingMode, false, "channelsLast");
  const { batchSize, outHeight, outWidth, inChannels, outChannels, filterHeight, filterWidth, strideHeight, strideWidth, padInfo } = info;
  const positions = batchSize * outHeight * outWidth;
  const temporaries: TensorInfo[] = [];
  const run = (kernel: Kernel, kernelInputs: NamedTensorInfoMap | TensorInfo[], kernelAttrs: NamedAttrMap = {}) => {
    const result = kernel({ inputs: kernelInputs, backend, attrs: kernelAttrs });
    temporaries.push(result);
    return result;
  };
  try {
    const padded = run(kernels.pad, { x }, {
      paddings: [[0, 0], [padInfo.top, padInfo.bottom], [padInfo.left, padInfo.right], [0, 0]],
      constantValue: 0,
    });
    const gradient2d = run(kernels.reshape, { x: dy }, { shape: [positions, outChannels] });
    const taps: TensorInfo[] = [];
    for (let i = 0; i < filterHeight; i++) {
      for (let j = 0; j < filterWidth; j++) {
        // The input pixels tap (i, j) multiplies at every output position.
        const seen = run(kernels.slice, { x: padded }, {
          begin: [0, i, j, 0],
          end: [batchSize, i + strideHeight * (outHeight - 1) + 1, j + strideWidth * (outWidth - 1) + 1, inChannels],
          strides: [1, strideHeight, strideWidth, 1],
          beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0,
        });
        const seen3d = run(kernels.reshape, { x: seen }, { shape: [1, positions, inChannels] });
        const gradient3d = run(kernels.reshape, { x: gradient2d }, { shape: [1, positions, outChannels] });
        taps.push(run(kernels.matMul, { a: seen3d, b: gradient3d }, { transposeA: true, transposeB: false }));
      }
    }
    const stacked = taps.length === 1 ? taps[0] : run(kernels.concat, taps, { axis: 1 });
    const result = kernels.reshape({ inputs: { x: stacked }, backend, attrs: { shape: [filterHeight, filterWidth, inChannels, outChannels] } });
    return result;
  } finally {
    // Reshapes share their input's data and count a reference to it, so every temporary gives back its own
    // reference; the result's reshape keeps the gradient's data alive.
    for (const t of temporaries) backend.disposeData(t.dataId);
  }
}
