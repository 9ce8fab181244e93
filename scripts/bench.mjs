#!/usr/bin/env node
/**
 * `npm run bench`: the browser benchmarks in real Chromium, the native ones in the companion, and
 * docs/BENCHMARKS.md rendered from both. Not a test: nothing is asserted about speed; every figure
 * is printed as it is measured (medians, IQRs, paired ratios, run counts, load average).
 *
 *   1. per package, the companion exports the benchmark graphs (the student UNet at other shapes,
 *      the teacher's CFG graph, a MatMul probe, the efficiency workload, one-operator graphs):
 *      `python -m t2v_turbo bench export`
 *   2. builds the app with `--mode test` plus the benchmark page (e2e/harness/bench.html), serves it
 *      cross-origin isolated (WASM threads), and drives Chromium with Playwright
 *   3. per package and backend (WASM, WebGPU): the engine and the plain onnxruntime-web loop
 *      alternated in pairs (and, on WASM, the native reference sampler in the same pair), profiled
 *      model runs, rewards, reference motion, memory in fresh pages, the graph-capture experiment;
 *      then the cost curves, the probe and the efficiency workload (each graph in a fresh page)
 *                                                -> docs/bench/browser.json
 *   4. `python -m t2v_turbo bench native`        -> docs/bench/native.json
 *   5. `python -m t2v_turbo bench render`        -> docs/BENCHMARKS.md, docs/images/bench-*.png
 *
 * Options: --package ID[,ID]   packages (default: all of public/models/index.json, demo first)
 *          --reps N            paired repetitions on WASM (default 7)
 *          --gpu-reps N        paired repetitions on WebGPU (default 3: a software adapter is slow)
 *          --gpu-package ID[,ID]  packages also measured on WebGPU (default: all); on a software
 *                              adapter a demo-size UNet step takes minutes, so CPU-only runs name micro
 *          --skip-native       keep docs/bench/native.json as it is
 *          --skip-training     native run without the training-throughput rows
 *          --render-only       only step 5
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ensureNodeModules, ensurePythonEnv, findChromium, PYTHON, ROOT, run } from './lib/setup.mjs';
import { describe, pairedRatios, summarize } from './lib/stats.mjs';

const OUT = join(ROOT, 'test-results', 'bench');
const DIST = join(OUT, 'dist');
const GRAPHS = join(OUT, 'graphs');
const RESULTS = join(ROOT, 'docs', 'bench');
const PROMPT = 'a red circle moving right';
const SEED = 42;

// ── Options ─────────────────────────────────────────────────────────────────────────────────────

function parseArgs(argv) {
  const opts = {
    packages: undefined,
    gpuPackages: undefined,
    reps: 7,
    gpuReps: 3,
    skipNative: false,
    skipTraining: false,
    renderOnly: false,
  };
  const flags = { '--skip-native': 'skipNative', '--skip-training': 'skipTraining', '--render-only': 'renderOnly' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a in flags) opts[flags[a]] = true;
    else if (a === '--package' && argv[i + 1]) opts.packages = argv[++i].split(',');
    else if (a === '--reps' && argv[i + 1]) opts.reps = Number(argv[++i]);
    else if (a === '--gpu-reps' && argv[i + 1]) opts.gpuReps = Number(argv[++i]);
    else if (a === '--gpu-package' && argv[i + 1]) opts.gpuPackages = argv[++i].split(',');
    else {
      console.error(`Unknown option or missing value: "${a}". See the header of scripts/bench.mjs.`);
      process.exit(2);
    }
  }
  for (const k of ['reps', 'gpuReps']) {
    if (!Number.isInteger(opts[k]) || opts[k] < 1) {
      console.error(`--${k === 'reps' ? 'reps' : 'gpu-reps'} must be a positive integer`);
      process.exit(2);
    }
  }
  return opts;
}

const load = () => loadavg().map((x) => Math.round(x * 100) / 100);

function must(cmd, args, options) {
  const status = run(cmd, args, options);
  if (status !== 0) {
    console.error(`\n✗ ${cmd} ${args.join(' ')} failed (exit ${status}).`);
    process.exit(status);
  }
}

// ── Serving the build ───────────────────────────────────────────────────────────────────────────

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function serve() {
  const port = await freePort();
  const server = spawn(
    'npx',
    ['vite', 'preview', '--config', 'scripts/lib/bench.vite.config.mjs', '--outDir', DIST, '--port', String(port)],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], detached: true },
  );
  const url = `http://localhost:${port}`;
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(url)).ok) return { url, stop: () => process.kill(-server.pid) };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  process.kill(-server.pid);
  throw new Error(`vite preview did not answer on ${url}`);
}

// ── The native reference sampler on a pipe (t2v_turbo.bench.serve) ──────────────────────────────

async function nativeSampler(packageDir, threads) {
  const child = spawn(
    PYTHON,
    ['-m', 't2v_turbo', 'bench', 'serve', '--package', packageDir, '--threads', String(threads)],
    {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' },
    },
  );
  const lines = createInterface({ input: child.stdout });
  const pending = [];
  lines.on('line', (line) => pending.shift()?.(JSON.parse(line)));
  const next = () => new Promise((resolve) => pending.push(resolve));
  const ready = await next();
  if (!ready.ready) throw new Error(`the native sampler did not start: ${JSON.stringify(ready)}`);
  return {
    async generate(request, frames = false) {
      const reply = next();
      child.stdin.write(`${JSON.stringify({ ...request, frames })}\n`);
      const r = await reply;
      if (r.error) throw new Error(`native sampler: ${r.error}`);
      return r;
    },
    close: () => child.stdin.end(),
  };
}

// ── Driving the page ────────────────────────────────────────────────────────────────────────────

async function openPage(context, url) {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`  [page] ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && console.error(`  [console] ${m.text()}`));
  await page.goto(`${url}/e2e/harness/bench.html`);
  await page.locator('body[data-ready=true]').waitFor();
  return page;
}

/** Calls window.bench[name](...args) in the page; an {error} answer becomes an exception. */
async function call(page, name, ...args) {
  const out = await page.evaluate(([n, a]) => window.bench[n](...a), [name, args]);
  if (out && typeof out === 'object' && 'error' in out) {
    throw new Error(`bench.${name}: ${out.error.kind}: ${out.error.message}`);
  }
  return out;
}

function byteDiff(a, b) {
  if (a.length !== b.length) throw new Error(`frame buffers differ in size: ${a.length} vs ${b.length}`);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}

/** The engine and the plain loop (and on WASM the native sampler) on one backend, in pairs. */
async function loopsSideBySide({ context, url, pkg, backend, reps, request, native }) {
  const base = `/models/${pkg}/`;
  const out = { load_average: [load()] };
  const page = await openPage(context, url);
  out.load = {
    engine: await call(page, 'loadEngine', base, backend),
    plain: await call(page, 'loadPlain', base, backend),
  };
  console.log(`  loaded: ${out.load.engine.reason}; session set-up ${out.load.engine.timings.sessions.toFixed(0)} ms`);

  // Warm-up: one clip each (compiles every shader and kernel of both paths), and the frames check.
  await call(page, 'generate', 'engine', request);
  await call(page, 'generate', 'plain', request);
  out.frames = { engine_vs_plain: await call(page, 'framesDiff', 'engine', 'plain') };
  if (native) {
    const nat = await native.generate(request, true);
    const engineFrames = Buffer.from(await call(page, 'framesBase64', 'engine'), 'base64');
    out.frames.engine_vs_native = byteDiff(engineFrames, Buffer.from(nat.frames, 'base64'));
  }
  console.log(`  frames: engine vs plain ${JSON.stringify(out.frames)}`);

  out.engine = [];
  out.plain = [];
  out.native = native ? [] : undefined;
  for (let r = 0; r < reps; r++) {
    // Alternate the order within each pair, so neither side always runs first.
    const order = r % 2 === 0 ? ['engine', 'plain'] : ['plain', 'engine'];
    for (const loop of order) out[loop].push(await call(page, 'generate', loop, request));
    if (native) out.native.push(await native.generate(request));
  }
  const e2e = (loop) => out[loop].map((x) => x.e2e);
  console.log(`  engine ${describe(e2e('engine'))}`);
  console.log(`  plain  ${describe(e2e('plain'))}`);
  const ratio = pairedRatios(e2e('plain'), e2e('engine'));
  console.log(`  plain / engine: ${ratio.median.toFixed(3)} (IQR ${ratio.q1.toFixed(3)}–${ratio.q3.toFixed(3)})`);
  console.log(
    `  readbacks per clip: engine ${out.engine[0].readbacks} (${out.engine[0].bytesRead} B), plain ${out.plain[0].readbacks} (${out.plain[0].bytesRead} B)`,
  );
  if (native) {
    const nat = out.native.map((x) => x.e2e_ms);
    const vs = pairedRatios(e2e('engine'), nat);
    console.log(
      `  native ${describe(nat)}; browser / native ${vs.median.toFixed(2)} (IQR ${vs.q1.toFixed(2)}–${vs.q3.toFixed(2)})`,
    );
  }

  // Model runs timed to completion: the denominator of the overhead figures.
  out.profile = [];
  for (let r = 0; r < reps; r++) out.profile.push(await call(page, 'profile', request));
  const runsMs = out.profile.map((p) => p.runs.reduce((a, x) => a + x.ms, 0));
  console.log(`  sum of model runs ${describe(runsMs)}`);

  // The student at 8 steps (one pass per step), for the student-vs-teacher table (WASM: the path
  // this machine's studio takes).
  if (backend === 'wasm') {
    out.steps8 = [];
    for (let r = 0; r < Math.ceil(reps / 2); r++) {
      out.steps8.push(await call(page, 'generate', 'engine', { ...request, steps: 8 }));
    }
    console.log(`  engine at 8 steps ${describe(out.steps8.map((x) => x.e2e))}`);
  }

  out.score = await call(page, 'score', request.prompt);
  out.reference = await call(page, 'reference', request, 500);
  console.log(
    `  score ${out.score.e2e.toFixed(1)} ms; reference extraction ${out.reference.extract.toFixed(1)} ms; guided clip ${out.reference.guidedE2e.toFixed(1)} ms`,
  );
  await page.close();

  // Memory: each loop alone in a fresh page (GPU buffers, wasm heap high-water mark, the page's memory).
  out.memory = {};
  for (const loop of ['engine', 'plain']) {
    const fresh = await openPage(context, url);
    const loaded = await call(fresh, loop === 'engine' ? 'loadEngine' : 'loadPlain', base, backend);
    // One clip: the peak is what counts, and on a software adapter a demo clip takes minutes.
    const gen = await call(fresh, 'generate', loop, request);
    out.memory[loop] = { afterLoad: { gpuLive: loaded.gpuLive, wasmBytes: loaded.wasmBytes }, generation: gen };
    console.log(
      `  memory (${loop}): GPU ${(loaded.gpuLive / 1e6).toFixed(1)} MB after load, peak ${(gen.gpuPeak / 1e6).toFixed(1)} MB in a clip; wasm heap ${(gen.wasmBytes / 1e6).toFixed(1)} MB`,
    );
    await fresh.close();
  }
  if (backend === 'webgpu') {
    // What onnxruntime's graph capture would save on this UNet (an experiment: the engine does not use it).
    const fresh = await openPage(context, url);
    try {
      out.graphCapture = await call(fresh, 'graphCapture', base, reps);
      for (const [k, v] of Object.entries(out.graphCapture)) {
        console.log(
          v.error
            ? `  UNet ${k}: fails: ${v.error}`
            : `  UNet ${k}: run returns after ${describe(v.cpu)}, pass done after ${describe(v.total)}`,
        );
      }
    } catch (e) {
      out.graphCapture = { error: String(e.message ?? e) };
      console.log(`  graph capture failed: ${out.graphCapture.error}`);
    } finally {
      await fresh.close();
    }
  }
  out.load_average.push(load());
  return out;
}

/** Each benchmark graph alone in a fresh page (its wasm heap is then its own). */
async function graphs({ context, url, pkg, reps, gpuReps, webgpu }) {
  const index = JSON.parse(readFileSync(join(GRAPHS, pkg, 'index.json'), 'utf8'));
  const at = (file) => `/bench-graphs/${pkg}/${file}`;
  const runGraph = async (entry, backend, n) => {
    const page = await openPage(context, url);
    try {
      return await call(page, 'runGraph', at(entry.file), entry.inputs, entry.outputs, backend, n);
    } finally {
      await page.close();
    }
  };
  const shapes = [];
  for (const entry of index.unet_shapes) {
    const browser = await runGraph(entry, 'wasm', reps);
    shapes.push({ ...entry, browser });
    console.log(
      `  ${entry.file}: ${describe(browser.times)} per step, wasm heap ${(browser.wasmBytes / 1e6).toFixed(1)} MB`,
    );
  }
  // The MatMul probe (the best dense rate) and the efficiency workload, on both backends.
  const probe = { gflop: index.probe.gflop };
  const efficiency = { ...index.efficiency, browser: {} };
  // On a software adapter one pass of the efficiency workload takes about a minute: at most 3.
  for (const [backend, n] of [
    ['wasm', reps],
    ['webgpu', Math.min(gpuReps, 3)],
  ]) {
    for (const [entry, into] of [
      [index.probe, probe],
      [index.efficiency, efficiency.browser],
    ]) {
      try {
        into[backend] = await runGraph(entry, backend, n);
        const s = summarize(into[backend].times);
        console.log(
          `  ${entry.file} on ${backend}: ${describe(into[backend].times)}, ${(entry.gflop / (s.median / 1e3)).toFixed(1)} GFLOP/s`,
        );
      } catch (e) {
        into[backend] = { error: String(e.message ?? e) };
        console.log(`  ${entry.file} on ${backend} failed: ${into[backend].error}`);
      }
    }
  }
  // Graph capture, operator by operator (WebGPU): which of the UNet's op types onnxruntime-web can
  // record and replay. Each in a fresh page; one timed replay is enough to know it works.
  const captureOps = [];
  if (webgpu) {
    for (const g of index.capture_ops.graphs) {
      const page = await openPage(context, url);
      try {
        const r = await call(page, 'graphCaptureFile', at(g.file), g.inputs, g.outputs, 1);
        captureOps.push({ op: g.op, uncaptured: r.uncaptured.error ?? 'ok', captured: r.captured.error ?? 'ok' });
      } catch (e) {
        captureOps.push({ op: g.op, uncaptured: String(e.message ?? e), captured: 'not tried' });
      } finally {
        await page.close();
      }
    }
    const failing = captureOps.filter((c) => c.captured !== 'ok').map((c) => c.op);
    console.log(`  graph capture fails for: ${failing.join(', ') || 'none'} (of ${captureOps.length} op types)`);
  }
  return {
    student: index.student,
    shapes,
    probe,
    efficiency,
    capture: { ops: captureOps, unet_ops: index.capture_ops.unet_ops, not_covered: index.capture_ops.not_covered },
  };
}

// ── Main ────────────────────────────────────────────────────────────────────────────────────────

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const render = () =>
    must(PYTHON, ['-m', 't2v_turbo', 'bench', 'render'], { env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } });
  ensureNodeModules();
  ensurePythonEnv();
  if (opts.renderOnly) return render();

  const index = JSON.parse(readFileSync(join(ROOT, 'public', 'models', 'index.json'), 'utf8')).packages;
  const packages = opts.packages ?? index;
  for (const id of packages) {
    if (!existsSync(join(ROOT, 'public', 'models', id, 'manifest.json'))) {
      console.error(`No package "${id}" in public/models (have: ${index.join(', ')}).`);
      process.exit(2);
    }
  }
  const chromiumPath = findChromium();
  if (!chromiumPath) {
    console.error('Chromium was not found. Install it (Debian: `apt-get install chromium`) or set CHROMIUM_PATH.');
    process.exit(2);
  }
  const pyEnv = { env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } };
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
  console.log(`━━ bench: ${packages.join(', ')}; load average ${load().join(' ')}`);

  console.log('\n━━ benchmark graphs (companion)');
  for (const id of packages) {
    must(PYTHON, ['-m', 't2v_turbo', 'bench', 'export', '--package', join('public', 'models', id)], pyEnv);
  }

  console.log('\n━━ build (vite, --mode test + the benchmark page)');
  must('npx', [
    'vite',
    'build',
    '--mode',
    'test',
    '--config',
    'scripts/lib/bench.vite.config.mjs',
    '--outDir',
    DIST,
    '--emptyOutDir',
    '--logLevel',
    'warn',
  ]);
  for (const id of packages) cpSync(join(GRAPHS, id), join(DIST, 'bench-graphs', id), { recursive: true });

  const { chromium } = await import('@playwright/test');
  const server = await serve();
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      server.stop();
      process.exit(130);
    });
  }
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--enable-unsafe-webgpu',
      '--enable-features=Vulkan',
      '--use-webgpu-adapter=swiftshader',
      '--enable-blink-features=ForceEagerMeasureMemory',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-sandbox',
    ],
  });
  const result = {
    command,
    created: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model,
      cores: cpus().length,
      node: process.version,
      chromium: browser.version(),
      load_average_start: load(),
    },
    request: { prompt: PROMPT, seed: SEED },
    reps: { wasm: opts.reps, webgpu: opts.gpuReps },
    packages: {},
  };
  try {
    const context = await browser.newContext();
    const infoPage = await openPage(context, server.url);
    result.machine.page = await call(infoPage, 'info');
    // Checked once: in headless Chromium it may never answer (then the wasm heap is read directly).
    result.machine.page.userAgentMemory = await call(infoPage, 'userAgentMemory', 15_000);
    await infoPage.close();
    const threads = result.machine.page.wasmThreads;
    console.log(
      `\n━━ Chromium ${browser.version()}: ${threads} wasm threads, WebGPU ${result.machine.page.gpu.webgpu ? `${result.machine.page.gpu.vendor} ${result.machine.page.gpu.architecture}` : 'none'}`,
    );

    const gpuMeasured = (pkg) => !opts.gpuPackages || opts.gpuPackages.includes(pkg);
    for (const pkg of packages) {
      const manifest = JSON.parse(readFileSync(join(ROOT, 'public', 'models', pkg, 'manifest.json'), 'utf8'));
      const s = manifest.sampler;
      const request = {
        prompt: PROMPT,
        steps: s.steps.default,
        guidance: s.guidance.default,
        motion: s.motion.default,
        seed: SEED,
      };
      const entry = { request, backends: {} };
      result.packages[pkg] = entry;
      const native = await nativeSampler(join('public', 'models', pkg), threads);
      try {
        for (const backend of ['wasm', 'webgpu']) {
          if (backend === 'webgpu' && !result.machine.page.gpu.webgpu) {
            entry.backends.webgpu = { skipped: 'no WebGPU adapter in this browser' };
            continue;
          }
          if (backend === 'webgpu' && !gpuMeasured(pkg)) {
            entry.backends.webgpu = { skipped: 'not measured on WebGPU in this run (--gpu-package)' };
            continue;
          }
          const reps = backend === 'wasm' ? opts.reps : opts.gpuReps;
          console.log(`\n━━ ${pkg} on ${backend}: ${reps} pairs; load average ${load().join(' ')}`);
          entry.backends[backend] = await loopsSideBySide({
            context,
            url: server.url,
            pkg,
            backend,
            reps,
            request,
            native: backend === 'wasm' ? native : undefined,
          });
        }
      } finally {
        native.close();
      }
      console.log(`\n━━ ${pkg}: cost curves and the probe; load average ${load().join(' ')}`);
      Object.assign(
        entry,
        await graphs({
          context,
          url: server.url,
          pkg,
          reps: opts.reps,
          gpuReps: opts.gpuReps,
          webgpu: result.machine.page.gpu.webgpu && gpuMeasured(pkg),
        }),
      );
    }
  } finally {
    await browser.close();
    server.stop();
  }
  result.machine.load_average_end = load();
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'browser.json'), `${JSON.stringify(result, null, 1)}\n`);
  console.log(`\nbrowser results -> docs/bench/browser.json`);

  if (!opts.skipNative) {
    console.log('\n━━ native (companion)');
    const args = ['-m', 't2v_turbo', 'bench', 'native', '--reps', String(opts.reps)];
    for (const id of packages) args.push('--package', join('public', 'models', id));
    if (opts.skipTraining) args.push('--no-training');
    must(PYTHON, args, pyEnv);
  }
  rmSync(join(DIST, 'bench-graphs'), { recursive: true, force: true });
  console.log('\n━━ report');
  render();
}

await main();
