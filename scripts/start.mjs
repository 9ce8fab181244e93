#!/usr/bin/env node
/** `npm start`: install what is missing, then serve the studio with the bundled demo model. */
import { ensureNodeModules, ROOT, run } from './lib/setup.mjs';

ensureNodeModules();
const args = process.argv.slice(2);
process.exit(run('npx', ['vite', '--open=false', ...args], { cwd: ROOT }));
