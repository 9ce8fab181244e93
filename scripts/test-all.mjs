#!/usr/bin/env node
/**
 * `npm test`: every suite, in order, then one closing line `N passed, N failed`.
 *   unit     vitest, Node: TypeScript logic (schema, tokenizer, scheduler, stores, …)
 *   kernels  vitest + Dawn: each WGSL kernel against its TypeScript twin on a real WebGPU adapter
 *   python   pytest in models/.venv: the companion (data, networks, training, export, parity)
 *   e2e      Playwright + Chromium: the studio, WebGPU and WASM paths, offline, bad input
 *   static   tsc (strict) and biome (lint + format), counted as one test each
 * `npm test -- unit python` runs only the named suites.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  ensureNodeModules,
  ensurePythonEnv,
  findChromium,
  findSwiftShaderIcd,
  PYTHON,
  ROOT,
  run,
} from './lib/setup.mjs';

const ALL = ['static', 'unit', 'kernels', 'python', 'e2e'];
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const w of wanted) {
  if (!ALL.includes(w)) {
    console.error(`Unknown suite "${w}". Suites: ${ALL.join(', ')}.`);
    process.exit(2);
  }
}
const suites = wanted.length ? ALL.filter((s) => wanted.includes(s)) : ALL;
const reports = join(ROOT, 'test-results', 'reports');
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });

ensureNodeModules();
if (suites.includes('python') || suites.includes('e2e')) ensurePythonEnv();

const chromium = findChromium();
const icd = findSwiftShaderIcd();
const needsChromium = suites.includes('e2e') || (suites.includes('kernels') && !icd);
if (needsChromium && !chromium) {
  console.error(
    'Chromium was not found. Install it (Debian: `sudo apt-get install chromium`) or set CHROMIUM_PATH. ' +
      '.ci/run installs it on CI machines.',
  );
  process.exit(2);
}

const readJson = (file) => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined);

function vitest(project) {
  const out = join(reports, `${project}.json`);
  const env = { ...process.env };
  if (project === 'kernels' && icd && !env.VK_ICD_FILENAMES) env.VK_ICD_FILENAMES = icd;
  const status = run(
    'npx',
    ['vitest', 'run', '--project', project, '--reporter=default', '--reporter=json', `--outputFile.json=${out}`],
    { env },
  );
  const r = readJson(out);
  if (!r) return { passed: 0, failed: 1, note: `vitest exited ${status} without a report` };
  return {
    passed: r.numPassedTests,
    failed: r.numFailedTests + (status !== 0 && r.numFailedTests === 0 ? 1 : 0),
    skipped: r.numPendingTests + r.numTodoTests,
  };
}

function pytest() {
  const out = join(reports, 'python.xml');
  const status = run(PYTHON, ['-m', 'pytest', 'models/tests', '-q', `--junitxml=${out}`], {
    env: { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' },
  });
  if (!existsSync(out)) return { passed: 0, failed: 1, note: `pytest exited ${status} without a report` };
  const xml = readFileSync(out, 'utf8');
  const attr = (name) => Number((xml.match(new RegExp(`<testsuite [^>]*\\b${name}="(\\d+)"`)) ?? [])[1] ?? 0);
  const tests = attr('tests');
  const failed = attr('failures') + attr('errors');
  const skipped = attr('skipped');
  return {
    passed: tests - failed - skipped,
    failed: failed + (status !== 0 && failed === 0 && status !== 5 ? 1 : 0),
    skipped,
  };
}

function playwright() {
  const out = join(reports, 'e2e.json');
  const status = run('npx', ['playwright', 'test', '--reporter=list,json'], {
    env: { ...process.env, PLAYWRIGHT_JSON_OUTPUT_NAME: out, CHROMIUM_PATH: chromium },
  });
  const r = readJson(out);
  if (!r) return { passed: 0, failed: 1, note: `playwright exited ${status} without a report` };
  const s = r.stats;
  return {
    passed: s.expected + s.flaky,
    failed: s.unexpected + (status !== 0 && s.unexpected === 0 ? 1 : 0),
    skipped: s.skipped,
  };
}

function staticChecks() {
  const tsc = run('npx', ['tsc', '-p', 'tsconfig.json']) === 0;
  const biome = run('npx', ['biome', 'check', '.']) === 0;
  const failed = Number(!tsc) + Number(!biome);
  const note = [!tsc && 'TypeScript errors above', !biome && 'biome findings above (`npm run lint`)']
    .filter(Boolean)
    .join('; ');
  return { passed: 2 - failed, failed, note };
}

const runners = {
  static: staticChecks,
  unit: () => vitest('unit'),
  kernels: () => vitest('kernels'),
  python: pytest,
  e2e: playwright,
};
const results = [];
for (const suite of suites) {
  console.log(`\n━━ ${suite} ━━`);
  const t0 = Date.now();
  const outcome = runners[suite]();
  results.push({ suite, ...outcome, seconds: (Date.now() - t0) / 1000 });
}

console.log('\n━━ summary ━━');
let passed = 0;
let failed = 0;
for (const r of results) {
  passed += r.passed;
  failed += r.failed;
  const skipped = r.skipped ? `, ${r.skipped} skipped` : '';
  console.log(
    `${r.suite.padEnd(10)} ${r.passed} passed, ${r.failed} failed${skipped}  (${r.seconds.toFixed(0)} s)${r.note ? `  ${r.note}` : ''}`,
  );
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
