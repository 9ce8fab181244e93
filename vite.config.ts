import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * Cross-origin isolation: SharedArrayBuffer, and with it onnxruntime-web's wasm threads, needs
 * both headers. `credentialless` would also do; `require-corp` is stricter and we load nothing
 * cross-origin anyway.
 */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** The onnxruntime-web runtime files we serve ourselves at /ort/ (never a CDN: offline use). */
export const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];
const ortDist = join(import.meta.dirname, 'node_modules/onnxruntime-web/dist');

function ortRuntime(): Plugin {
  return {
    name: 'ort-runtime',
    configureServer(server) {
      server.middlewares.use('/ort', (req, res, next) => {
        const file = (req.url ?? '').replace(/^\//, '').split('?')[0];
        if (!ORT_FILES.includes(file)) return next();
        res.setHeader('Content-Type', file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        for (const [k, v] of Object.entries(isolation)) res.setHeader(k, v);
        createReadStream(join(ortDist, file)).pipe(res);
      });
    },
    generateBundle() {
      for (const file of ORT_FILES) {
        this.emitFile({ type: 'asset', fileName: `ort/${file}`, source: readFileSync(join(ortDist, file)) });
      }
    },
  };
}

export default defineConfig(({ mode }) => ({
  plugins: [react(), ortRuntime()],
  server: { headers: isolation, port: 5173, strictPort: false },
  preview: { headers: isolation, port: 4173 },
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 2048,
    rollupOptions: {
      // `--mode test` (the E2E build) adds the engine harness page; the studio itself is the same.
      input: {
        main: join(import.meta.dirname, 'index.html'),
        ...(mode === 'test' ? { harness: join(import.meta.dirname, 'e2e/harness/engine.html') } : {}),
      },
    },
  },
}));
