import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

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

/**
 * Content-Security-Policy of the built app: nothing loads from, or is sent to, another origin.
 * 'wasm-unsafe-eval' lets onnxruntime compile its WebAssembly; blob: workers are its wasm threads.
 * Only in builds: the dev server injects inline scripts for hot reload.
 */
export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

function contentSecurityPolicy(): Plugin {
  return {
    name: 'content-security-policy',
    apply: 'build',
    transformIndexHtml: () => [
      { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP }, injectTo: 'head-prepend' },
    ],
  };
}

/**
 * Installable and offline: the service worker precaches the app shell, onnxruntime's wasm runtime,
 * and the bundled packages' list and manifests (small JSON the studio reads at start-up, before the
 * service worker controls the first visit). Model files are not precached: the engine stores them
 * itself, per file and resumable, checked against the manifest's sha256 (app/engine/loader/cache.ts).
 */
const pwa = () =>
  VitePWA({
    registerType: 'autoUpdate',
    // The studio registers /sw.js itself (app/state/actions/service-worker.ts), so other pages of a
    // test build (the engine harness) are not controlled by it.
    injectRegister: false,
    includeAssets: ['icon.svg'],
    manifest: {
      name: 'Turbo Studio',
      short_name: 'Turbo Studio',
      description: 'Text to video on your own GPU — private, offline, in a few steps.',
      theme_color: '#111318',
      background_color: '#111318',
      display: 'standalone',
      start_url: '/',
      icons: [{ src: '/icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' }],
    },
    workbox: {
      globPatterns: ['**/*.{js,mjs,css,html,svg,wasm,webmanifest}', 'models/index.json', 'models/*/manifest.json'],
      globIgnores: ['models/**/*.{js,mjs,css,html,svg,wasm}', 'e2e/**'],
      maximumFileSizeToCacheInBytes: 48 * 1024 * 1024, // onnxruntime's wasm is ~27 MB
      // A new version takes over at once, and the first visit is controlled as soon as the worker
      // is active, so it already works offline (autoUpdate: no prompt to reload).
      skipWaiting: true,
      clientsClaim: true,
      navigateFallback: 'index.html',
      navigateFallbackDenylist: [/^\/models\//, /^\/e2e\//, /^\/ort\//],
      runtimeCaching: [
        {
          // Manifests of packages outside the build (loaded by URL): fresh when online, cached for offline.
          urlPattern: ({ url }) => /^\/models\/(index\.json|[^/]+\/manifest\.json)$/.test(url.pathname),
          handler: 'NetworkFirst',
          options: { cacheName: 'model-manifests', networkTimeoutSeconds: 3 },
        },
      ],
    },
  });

export default defineConfig(({ mode }) => ({
  plugins: [react(), ortRuntime(), contentSecurityPolicy(), pwa()],
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
