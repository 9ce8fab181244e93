/**
 * The benchmark build: the project's own Vite config (`--mode test`, so the engine harness is in it)
 * plus the benchmark page, e2e/harness/bench.html. Used only by scripts/bench.mjs.
 */
import { join } from 'node:path';
import { mergeConfig } from 'vite';
import projectConfig from '../../vite.config.ts';

const ROOT = join(import.meta.dirname, '..', '..');

export default (env) =>
  mergeConfig(projectConfig(env), {
    root: ROOT,
    build: { rollupOptions: { input: { bench: join(ROOT, 'e2e/harness/bench.html') } } },
  });
