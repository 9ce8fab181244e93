/**
 * The engine's WGSL kernels, compiled once per device. After ORT creates its WebGPU sessions the
 * engine takes ORT's device and does `const kernels = await KernelSet.create(device)` (or `new
 * KernelSet(device)` when it checks errors itself); then `kernels.lcmStep.bind({...})` once per
 * generation, `setParams(...)` and `encode(encoder)` per step.
 *
 * Every kernel has a TypeScript twin on typed arrays (exported below) that the WASM path runs and
 * that the kernel tests compare against.
 */
import { compileChecked } from '../gpu/compute';
import { FramesToRgbaKernel } from './frames_to_rgba';
import { GuidanceUpdateKernel } from './guidance_update';
import { LcmStepKernel } from './lcm_step';
import { MotionMapKernel } from './motion_map';
import { NoiseKernel } from './noise';
import { ResizeCropNormalizeKernel } from './resize_crop_normalize';
import { ScaleKernel } from './scale';
import { Top1MaskKernel } from './top1_mask';
import { VideoMetricsKernel } from './video_metrics';

export class KernelSet {
  readonly noise: NoiseKernel;
  readonly lcmStep: LcmStepKernel;
  readonly guidanceUpdate: GuidanceUpdateKernel;
  readonly scale: ScaleKernel;
  readonly framesToRgba: FramesToRgbaKernel;
  readonly resizeCropNormalize: ResizeCropNormalizeKernel;
  readonly top1Mask: Top1MaskKernel;
  readonly videoMetrics: VideoMetricsKernel;
  readonly motionMap: MotionMapKernel;

  constructor(readonly device: GPUDevice) {
    this.noise = new NoiseKernel(device);
    this.lcmStep = new LcmStepKernel(device);
    this.guidanceUpdate = new GuidanceUpdateKernel(device);
    this.scale = new ScaleKernel(device);
    this.framesToRgba = new FramesToRgbaKernel(device);
    this.resizeCropNormalize = new ResizeCropNormalizeKernel(device);
    this.top1Mask = new Top1MaskKernel(device);
    this.videoMetrics = new VideoMetricsKernel(device);
    this.motionMap = new MotionMapKernel(device);
  }

  /** Compiles every pipeline and fails with the compiler's message if any does not build on this device. */
  static create(device: GPUDevice): Promise<KernelSet> {
    return compileChecked(device, 'A WGSL kernel', () => new KernelSet(device));
  }
}

export { framesToRgba, toByte } from './frames_to_rgba';
export type { FrameGeometry } from './geometry';
export { guidanceUpdate } from './guidance_update';
export { lcmStep } from './lcm_step';
export { motionMap, rampColour } from './motion_map';
export { gaussianNoise } from './noise';
export {
  centreCrop,
  frameWindow,
  type ResizeCropNormalizeParams,
  resizeCropNormalize,
  stridedFrameIndices,
} from './resize_crop_normalize';
export { scale } from './scale';
export { top1Mask } from './top1_mask';
export {
  VIDEO_METRIC_INFO,
  type VideoMetrics,
  videoMetrics,
  videoMetricsFromPartials,
  videoMetricsPartialWords,
} from './video_metrics';
