import { describe, expect, it } from 'vitest';
import { chooseBundled, packageFromFolder, parseModelIndex, resolvePackageUrl } from './package-source';

const origin = 'http://localhost:4173';
const blob = (s: string) => new Blob([s]);

describe('resolvePackageUrl', () => {
  it('accepts a folder or its manifest, relative or absolute, on this origin', () => {
    expect(resolvePackageUrl('/models/demo/', origin)).toBe('/models/demo/');
    expect(resolvePackageUrl('/models/demo', origin)).toBe('/models/demo/');
    expect(resolvePackageUrl('models/demo/manifest.json', origin)).toBe('/models/demo/');
    expect(resolvePackageUrl(`${origin}/pkgs/x/`, origin)).toBe('/pkgs/x/');
  });
  it('refuses other origins, empty input', () => {
    expect(() => resolvePackageUrl('https://example.com/models/demo/', origin)).toThrow(/Only packages on this site/);
    expect(() => resolvePackageUrl('//evil.test/m/', origin)).toThrow(/another origin/);
    expect(() => resolvePackageUrl('   ', origin)).toThrow(/Enter the URL/);
  });
});

describe('packageFromFolder', () => {
  it('takes the picked folder as the package, paths relative to it', () => {
    const { source, folderName } = packageFromFolder([
      { path: 'demo/manifest.json', file: blob('{}') },
      { path: 'demo/unet.onnx', file: blob('u') },
      { path: 'demo/text/vocab.txt', file: blob('v') },
    ]);
    expect(folderName).toBe('demo');
    expect(source.kind).toBe('files');
    if (source.kind === 'files')
      expect(Object.keys(source.files).sort()).toEqual(['manifest.json', 'text/vocab.txt', 'unet.onnx']);
  });
  it('finds the package one level down when the parent was picked', () => {
    const { source, folderName } = packageFromFolder([
      { path: 'exports/readme.md', file: blob('r') },
      { path: 'exports/demo/manifest.json', file: blob('{}') },
      { path: 'exports/demo/unet.onnx', file: blob('u') },
    ]);
    expect(folderName).toBe('demo');
    if (source.kind === 'files') expect(Object.keys(source.files).sort()).toEqual(['manifest.json', 'unet.onnx']);
  });
  it('explains a folder without a manifest, an empty one, and one with several packages', () => {
    expect(() => packageFromFolder([{ path: 'x/a.onnx', file: blob('') }])).toThrow(/no manifest.json/);
    expect(() => packageFromFolder([])).toThrow(/empty/);
    expect(() =>
      packageFromFolder([
        { path: 'all/a/manifest.json', file: blob('{}') },
        { path: 'all/b/manifest.json', file: blob('{}') },
      ]),
    ).toThrow(/several model packages/);
  });
});

describe('parseModelIndex', () => {
  it('reads the bundled list and refuses anything else', () => {
    expect(parseModelIndex({ packages: ['demo', 'micro'] })).toEqual(['demo', 'micro']);
    expect(() => parseModelIndex({ packages: ['../x'] })).toThrow(/index.json/);
    expect(() => parseModelIndex(['demo'])).toThrow(/index.json/);
  });
});

describe('chooseBundled', () => {
  const bundled = [{ id: 'demo' }, { id: 'micro' }];
  it('takes the URL model when bundled, else the first listed', () => {
    expect(chooseBundled(bundled, 'micro')).toEqual({ choice: { id: 'micro' } });
    expect(chooseBundled(bundled, undefined)).toEqual({ choice: { id: 'demo' } });
  });
  it('falls back to the first with a notice naming what is bundled', () => {
    expect(chooseBundled(bundled, 'huge')).toEqual({
      choice: { id: 'demo' },
      notice: 'Ignored the URL\'s model "huge": this build bundles demo, micro. Loading demo instead.',
    });
    expect(chooseBundled(bundled, 'x'.repeat(500)).notice).toContain(`"${'x'.repeat(40)}…"`);
  });
  it('says so when nothing is bundled', () => {
    expect(chooseBundled([], 'micro')).toEqual({
      notice: 'Ignored the URL\'s model "micro": this build bundles no model.',
    });
    expect(chooseBundled([], undefined)).toEqual({});
  });
});
