/**
 * Opens a model package — a folder URL on this origin, or files the user picked — validates its
 * manifest, and reads files by manifest reference: size and SHA-256 checked before any byte is
 * used, downloads resumed from Cache Storage chunk by chunk.
 */
import { cancelledError, EngineError, integrityError, manifestError, missingFileError } from '../errors';
import { parseManifest } from '../manifest/parse';
import type { FileRef, Manifest } from '../manifest/schema';
import type { PackageSource } from '../protocol';
import { CHUNK_BYTES, chunkCount, chunkKey, manifestKey, openModelCache } from './cache';

export interface ReadOptions {
  onProgress?: (loaded: number, total: number) => void;
  signal?: AbortSignal;
}

export interface ModelPackage {
  manifest: Manifest;
  /** Folder URL for `url` sources; undefined for picked files. */
  baseUrl?: string;
  read(ref: FileRef, options?: ReadOptions): Promise<Uint8Array>;
  /** Paths Cache Storage refused so far (quota): they work now but need the network next time. */
  readonly uncached: ReadonlySet<string>;
}

export async function sha256Hex(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function verified(ref: FileRef, data: Uint8Array): Promise<Uint8Array> {
  if (data.byteLength !== ref.bytes) {
    throw new EngineError(
      'integrity',
      `Model file "${ref.path}" has ${data.byteLength} bytes, the manifest says ${ref.bytes}. It was not used; download the package again.`,
      { file: ref.path, expected: ref.bytes, actual: data.byteLength },
    );
  }
  const actual = await sha256Hex(data);
  if (actual !== ref.sha256) throw integrityError(ref.path, ref.sha256, actual);
  return data;
}

function parseManifestText(text: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw manifestError('(root)', `is not valid JSON (${(e as Error).message})`);
  }
  return parseManifest(json);
}

export async function openPackage(source: PackageSource, options: ReadOptions = {}): Promise<ModelPackage> {
  return source.kind === 'url' ? openUrlPackage(source.baseUrl, options) : openFilePackage(source.files);
}

async function openFilePackage(files: Record<string, Blob>): Promise<ModelPackage> {
  // A picked folder arrives with its own name as the first path segment; accept both forms.
  const byPath = new Map<string, Blob>();
  for (const [path, blob] of Object.entries(files)) {
    byPath.set(path, blob);
    byPath.set(path.split('/').slice(1).join('/'), blob);
  }
  const manifestBlob = byPath.get('manifest.json');
  if (!manifestBlob) throw missingFileError('manifest.json', 'not among the chosen files');
  const manifest = parseManifestText(await manifestBlob.text());
  return {
    manifest,
    uncached: new Set(), // picked files are read where they are, never cached
    async read(ref) {
      const blob = byPath.get(ref.path);
      if (!blob) throw missingFileError(ref.path, 'not among the chosen files');
      return verified(ref, new Uint8Array(await blob.arrayBuffer()));
    },
  };
}

async function openUrlPackage(baseUrl: string, options: ReadOptions): Promise<ModelPackage> {
  const base = new URL(baseUrl.replace(/\/?$/, '/'), globalThis.location?.href).href;
  const cache = await openModelCache();
  let text: string;
  try {
    const response = await fetch(`${base}manifest.json`, { signal: options.signal, cache: 'no-cache' });
    if (!response.ok) throw missingFileError('manifest.json', `HTTP ${response.status}`);
    text = await response.text();
    const manifest = parseManifestText(text);
    const uncached = new Set<string>();
    await cache
      ?.put(manifestKey(base), new Response(text, { headers: { 'content-type': 'application/json' } }))
      .catch(async () => {
        // Quota: the package still loads; it is offline-ready only if this very manifest was kept before.
        if ((await (await cache.match(manifestKey(base)))?.text()) !== text) uncached.add('manifest.json');
      });
    return urlPackage(base, manifest, cache, uncached);
  } catch (e) {
    if (options.signal?.aborted) throw cancelledError();
    if (e instanceof EngineError && e.kind !== 'missing-file') throw e;
    // Offline (or the server is gone): fall back to the manifest cached on an earlier visit.
    const cached = await cache?.match(manifestKey(base));
    if (!cached) throw e instanceof EngineError ? e : missingFileError('manifest.json', (e as Error).message);
    return urlPackage(base, parseManifestText(await cached.text()), cache, new Set());
  }
}

function urlPackage(base: string, manifest: Manifest, cache: Cache | undefined, uncached: Set<string>): ModelPackage {
  return {
    manifest,
    baseUrl: base,
    uncached,
    read: (ref, options = {}) => readChunked(`${base}${ref.path}`, ref, cache, options, () => uncached.add(ref.path)),
  };
}

/** Reads a file chunk by chunk (HTTP Range), reusing chunks an earlier, interrupted visit cached. */
async function readChunked(
  url: string,
  ref: FileRef,
  cache: Cache | undefined,
  options: ReadOptions,
  onNotCached: () => void,
): Promise<Uint8Array> {
  const out = new Uint8Array(ref.bytes);
  const chunks = chunkCount(ref.bytes);
  let loaded = 0;
  for (let k = 0; k < chunks; k++) {
    if (options.signal?.aborted) throw cancelledError();
    const start = k * CHUNK_BYTES;
    const end = Math.min(ref.bytes, start + CHUNK_BYTES);
    const key = chunkKey(url, ref.sha256, k);
    let chunk: Uint8Array | undefined;
    const hit = await cache?.match(key);
    if (hit) {
      const bytes = new Uint8Array(await hit.arrayBuffer());
      if (bytes.byteLength === end - start) chunk = bytes;
    }
    if (!chunk) {
      chunk = await fetchRange(url, ref, start, end, options, (n) => options.onProgress?.(loaded + n, ref.bytes));
      await cache
        ?.put(
          key,
          new Response(chunk as Uint8Array<ArrayBuffer>, { headers: { 'content-length': String(chunk.byteLength) } }),
        )
        .catch(onNotCached); // quota: keep going uncached, the file is still verified below
    }
    out.set(chunk, start);
    loaded = end;
    options.onProgress?.(loaded, ref.bytes);
  }
  try {
    return await verified(ref, out);
  } catch (e) {
    // A corrupt cached chunk must not poison the next attempt.
    for (let k = 0; k < chunks; k++) await cache?.delete(chunkKey(url, ref.sha256, k));
    throw e;
  }
}

async function fetchRange(
  url: string,
  ref: FileRef,
  start: number,
  end: number,
  options: ReadOptions,
  onBytes: (n: number) => void,
): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { Range: `bytes=${start}-${end - 1}` }, signal: options.signal });
  } catch (e) {
    if (options.signal?.aborted) throw cancelledError();
    throw missingFileError(ref.path, (e as Error).message);
  }
  if (!response.ok) throw missingFileError(ref.path, `HTTP ${response.status}`);
  const whole = response.status === 200; // server ignored the Range header
  const reader = response.body?.getReader();
  if (!reader) throw missingFileError(ref.path, 'empty response');
  const want = end - start;
  const buffer = new Uint8Array(whole ? ref.bytes : want);
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (received + value.byteLength > buffer.byteLength) {
      throw new EngineError(
        'integrity',
        `Model file "${ref.path}" is larger than the manifest says (${ref.bytes} bytes).`,
        {
          file: ref.path,
        },
      );
    }
    buffer.set(value, received);
    received += value.byteLength;
    onBytes(whole ? Math.max(0, Math.min(received - start, want)) : received);
  }
  if (whole) {
    if (received < end) throw missingFileError(ref.path, `truncated at ${received} of ${ref.bytes} bytes`);
    return buffer.slice(start, end);
  }
  if (received !== want) throw missingFileError(ref.path, `truncated: ${received} of ${want} bytes in a chunk`);
  return buffer;
}
