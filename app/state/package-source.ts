/**
 * Where a model package comes from, in the forms the engine accepts (`PackageSource`): a folder
 * URL on this origin, or the files of a folder the user picked. Pure rules, with messages a user
 * can act on.
 */
import type { PackageSource } from '../engine/protocol';

/** `/models/index.json`: the packages shipped with this build, `{"packages": ["demo", …]}`. */
export const BUNDLED_INDEX_URL = '/models/index.json';

export function parseModelIndex(json: unknown): string[] {
  const ids = (json as { packages?: unknown })?.packages;
  if (!Array.isArray(ids) || !ids.every((x) => typeof x === 'string' && /^[a-z0-9][a-z0-9._-]{0,63}$/.test(x)))
    throw new Error('/models/index.json must be {"packages": ["<model id>", …]}');
  return ids;
}

export const bundledBaseUrl = (id: string): string => `/models/${id}/`;

/**
 * Which bundled package loads at start: the one the URL names (`?model=<id>`), else the first
 * listed. An id the build does not bundle falls back to the first, with a notice saying so.
 */
export function chooseBundled<T extends { id: string }>(
  bundled: readonly T[],
  requested: string | undefined,
): { choice?: T; notice?: string } {
  const first = bundled[0];
  if (requested === undefined) return { choice: first };
  const hit = bundled.find((b) => b.id === requested);
  if (hit) return { choice: hit };
  const asked = requested.length > 40 ? `${requested.slice(0, 40)}…` : requested;
  if (!first) return { notice: `Ignored the URL's model "${asked}": this build bundles no model.` };
  const ids = bundled.map((b) => b.id).join(', ');
  return {
    choice: first,
    notice: `Ignored the URL's model "${asked}": this build bundles ${ids}. Loading ${first.id} instead.`,
  };
}

/**
 * A same-origin folder URL ending in "/". Accepts the folder or its manifest.json, absolute or
 * relative. Other origins are refused: the app's Content-Security-Policy forbids them, and a model
 * from elsewhere would be a network leak of what people generate.
 */
export function resolvePackageUrl(input: string, origin: string): string {
  const raw = input.trim();
  if (!raw) throw new Error('Enter the URL of a model package folder, e.g. /models/demo/.');
  let url: URL;
  try {
    url = new URL(raw, `${origin}/`);
  } catch {
    throw new Error(`"${raw}" is not a URL.`);
  }
  if (url.origin !== origin)
    throw new Error(`Only packages on this site (${origin}) can be loaded; "${url.origin}" is another origin.`);
  let path = url.pathname.replace(/manifest\.json$/, '');
  if (!path.endsWith('/')) path += '/';
  return path;
}

export interface PickedFile {
  /** Path as the browser gives it for a picked folder: "<folder>/sub/file" (webkitRelativePath). */
  path: string;
  file: Blob;
}

/**
 * The package inside a picked folder: the directory holding manifest.json (the folder itself, or
 * one level down if the user picked its parent), with paths relative to it.
 */
export function packageFromFolder(picked: PickedFile[]): { source: PackageSource; folderName: string } {
  if (picked.length === 0) throw new Error('The chosen folder is empty.');
  const manifests = picked
    .map((p) => p.path)
    .filter((p) => p === 'manifest.json' || p.endsWith('/manifest.json'))
    .sort((a, b) => a.split('/').length - b.split('/').length);
  if (manifests.length === 0)
    throw new Error(
      'The chosen folder has no manifest.json. Choose a model package folder (the one holding manifest.json).',
    );
  const root = manifests[0].slice(0, -'manifest.json'.length); // "" or "folder/" or "folder/pkg/"
  if (manifests.length > 1 && manifests[1].split('/').length === manifests[0].split('/').length)
    throw new Error('The chosen folder holds several model packages. Choose one package folder.');
  const files: Record<string, Blob> = {};
  for (const p of picked) if (p.path.startsWith(root)) files[p.path.slice(root.length)] = p.file;
  const folderName = root.split('/').filter(Boolean).pop() ?? picked[0].path.split('/')[0] ?? 'folder';
  return { source: { kind: 'files', files }, folderName };
}
