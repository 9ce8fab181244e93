/**
 * Idempotent set-up shared by `npm start`, `npm test` and `npm run bench`: installs what is missing
 * and does nothing (quickly) when it is already there. Plain Node: it runs before node_modules exists.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const VENV = join(ROOT, 'models', '.venv');
export const PYTHON = join(VENV, 'bin', 'python');

const hashFiles = (files) => {
  const h = createHash('sha256');
  for (const f of files) h.update(existsSync(f) ? readFileSync(f) : '');
  return h.digest('hex');
};

export function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: ROOT, ...options });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function must(cmd, args, options) {
  const status = run(cmd, args, options);
  if (status !== 0) {
    console.error(`\n✗ ${cmd} ${args.join(' ')} failed (exit ${status}).`);
    process.exit(status);
  }
  return status;
}

/** `npm ci` when node_modules is missing or package-lock.json changed since the last install. */
export function ensureNodeModules() {
  const stamp = join(ROOT, 'node_modules', '.installed-lock-sha256');
  const want = hashFiles([join(ROOT, 'package-lock.json')]);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return;
  console.log('› Installing npm dependencies (npm ci)…');
  must('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error']);
  writeFileSync(stamp, want);
}

/** A virtual environment under models/.venv with the pinned requirements and the companion package. */
export function ensurePythonEnv() {
  const lock = join(ROOT, 'models', 'requirements.lock');
  const stamp = join(VENV, '.installed-lock-sha256');
  const want = hashFiles([lock, join(ROOT, 'models', 'pyproject.toml')]);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return;
  const python = process.env.PYTHON ?? 'python3';
  const create = () => {
    console.log(`› Creating the companion's virtual environment (${python} -m venv models/.venv)…`);
    must(python, ['-m', 'venv', VENV]);
  };
  const install = (fail) =>
    [
      ['-r', lock],
      ['--no-deps', '-e', join(ROOT, 'models')],
    ].every((args) => fail(PYTHON, ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', ...args]) === 0);
  const existed = existsSync(PYTHON);
  if (!existed) create();
  console.log('› Installing the companion package and its pinned requirements…');
  // An install interrupted earlier (Ctrl-C during a first `npm test`) can leave a package without
  // metadata, on which pip then fails every time: start once more from an empty environment.
  if (!install(existed ? run : must)) {
    console.log('› The existing models/.venv could not be updated; creating it again from nothing…');
    rmSync(VENV, { recursive: true, force: true });
    create();
    install(must);
  }
  mkdirSync(VENV, { recursive: true });
  writeFileSync(stamp, want);
}

/** Chromium for Playwright and browser benchmarks: $CHROMIUM_PATH, Debian's, or Playwright's own. */
export function findChromium() {
  const candidates = [
    process.env.CHROMIUM_PATH,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
  ];
  return candidates.find((p) => p && existsSync(p));
}

/** SwiftShader's Vulkan driver, which Dawn (kernel tests in Node) needs on a machine without a GPU. */
export function findSwiftShaderIcd() {
  const candidates = [process.env.VK_ICD_FILENAMES, '/usr/lib/chromium/vk_swiftshader_icd.json'];
  return candidates.find((p) => p && existsSync(p));
}
