/**
 * The usual way to run a few-step diffusion model with onnxruntime-web, as public demos do: every
 * tensor lives in a Float32Array, the scheduler runs in JavaScript on the CPU, and each network call
 * takes CPU tensors in and hands CPU tensors back (on WebGPU, onnxruntime uploads the inputs and
 * reads the outputs back on every call).
 *
 * Written to be a fair baseline, not a straw man: the same package, the same graph files and
 * session options as the engine (planLoad, createSession), only `eps` fetched from the UNet (not
 * its attention maps), buffers reused across steps, the same seeded noise and scheduler maths (the
 * engine's TypeScript twins), so its frames equal the engine's. Only the data path differs.
 */
import { cpuTensor, createSession, type OrtSession, runSession } from '../../app/engine/backend/ort';
import { probeGpu } from '../../app/engine/gpu/probe';
import { framesToRgba } from '../../app/engine/kernels/frames_to_rgba';
import { lcmStep } from '../../app/engine/kernels/lcm_step';
import { gaussianNoise } from '../../app/engine/kernels/noise';
import { scale } from '../../app/engine/kernels/scale';
import { openPackage } from '../../app/engine/loader/package';
import type { Manifest } from '../../app/engine/manifest/schema';
import { planLoad } from '../../app/engine/pipeline/variants';
import type { BackendName, GenerateRequest } from '../../app/engine/protocol';
import { inferenceTimesteps, type LcmSchedule, lcmSchedule, lcmStepParams } from '../../app/engine/scheduler/lcm';
import { createTokenizer, type Tokenizer } from '../../app/engine/tokenizer/index';
import { toInt64 } from '../../app/engine/tokenizer/wordpiece';

const ROLES = ['text_encoder', 'unet', 'vae_decoder'] as const;
type Role = (typeof ROLES)[number];

export interface PlainResult {
  frames: Uint8ClampedArray;
  /** Milliseconds: tokenize, text, unet[i] (network + CPU step), decode, total. */
  timings: Record<string, number>;
}

export class PlainLoop {
  private readonly schedule: LcmSchedule;

  private constructor(
    readonly manifest: Manifest,
    readonly backend: BackendName,
    private readonly tokenizer: Tokenizer,
    readonly sessions: Record<Role, OrtSession>,
  ) {
    this.schedule = lcmSchedule(manifest);
  }

  static async load(baseUrl: string, backend: BackendName): Promise<PlainLoop> {
    const pkg = await openPackage({ kind: 'url', baseUrl });
    const m = pkg.manifest;
    const plan = planLoad(m, backend, 'auto', await probeGpu());
    const vocab = new TextDecoder().decode(await pkg.read(m.text.tokenizer.vocab));
    const sessions = {} as Record<Role, OrtSession>;
    for (const role of ROLES) {
      const g = plan.graphs[role];
      if (!g) throw new Error(`the package has no ${role} graph`);
      const externalData = [];
      for (const ref of g.variant.external_data) externalData.push({ path: ref.path, data: await pkg.read(ref) });
      // No gpuOutputs: every output comes back to the CPU, the default of onnxruntime-web.
      sessions[role] = await createSession({
        name: role,
        model: await pkg.read(g.variant.file),
        externalData,
        backend: g.backend,
      });
    }
    return new PlainLoop(m, plan.backend, createTokenizer(m.text.tokenizer, vocab), sessions);
  }

  async generate(req: GenerateRequest): Promise<PlainResult> {
    const m = this.manifest;
    const timings: Record<string, number> = {};
    const start = performance.now();
    let t = start;
    const lap = (name: string) => {
      const now = performance.now();
      timings[name] = now - t;
      t = now;
    };

    const L = m.text.tokenizer.max_length;
    const enc = this.tokenizer.encode(req.prompt);
    lap('tokenize');
    const text = await runSession(
      this.sessions.text_encoder,
      'text_encoder',
      {
        input_ids: cpuTensor(toInt64(enc.inputIds), [1, L]),
        attention_mask: cpuTensor(toInt64(enc.attentionMask), [1, L]),
      },
      ['context'],
    );
    const context = cpuTensor(text.context.data as Float32Array, [1, L, m.text.embed_dim]);
    lap('text');

    const { channels: C, frames: T, height: h, width: w } = m.latent;
    const dims = [1, C, T, h, w];
    const n = C * T * h * w;
    const z = gaussianNoise(n, req.seed, 0); // (1, C, T, h, w)
    const noise = new Float32Array(n);
    const guidance = cpuTensor(Float32Array.of(req.guidance), [1]);
    const motion = cpuTensor(Float32Array.of(req.motion), [1]);
    const timesteps = inferenceTimesteps(m.schedule.num_train_timesteps, m.sampler.grid.num_steps, req.steps);
    for (let i = 0; i < timesteps.length; i++) {
      const feeds = {
        sample: cpuTensor(z, dims),
        timestep: cpuTensor(Float32Array.of(timesteps[i]), [1]),
        context,
        guidance,
        motion,
      };
      const out = await runSession(this.sessions.unet, 'unet', feeds, ['eps']);
      const s = lcmStepParams(this.schedule, timesteps, i);
      if (s.next) gaussianNoise(n, req.seed, i + 1, noise);
      lcmStep(z, out.eps.data as Float32Array, noise, s, z); // in place: the next step's sample
      out.eps.dispose();
      lap(`unet[${i}]`);
    }

    const latent = scale(z, 1 / m.latent.scale);
    const decoded = await runSession(this.sessions.vae_decoder, 'vae_decoder', { latent: cpuTensor(latent, dims) }, [
      'video',
    ]);
    const rgba = framesToRgba(decoded.video.data as Float32Array, {
      frames: T,
      height: m.video.height,
      width: m.video.width,
    });
    decoded.video.dispose();
    lap('decode');
    timings.total = performance.now() - start;
    return { frames: new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.byteLength), timings };
  }

  async release(): Promise<void> {
    await Promise.all(Object.values(this.sessions).map((s) => s.release()));
  }
}
