/**
 * The TypeScript CLIP tokenizer against OpenCLIP's own ids (models/tests/fixtures/clip_tokenizer.json,
 * written by open_clip_torch's tokenizer; the Python twin passes the same cases), on the real
 * vocabulary file the companion ships in packages.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { EngineError } from '../errors';
import { ClipBpeTokenizer, clean } from './clip-bpe';
import { createTokenizer } from './index';

const root = join(import.meta.dirname, '../../..');
const fixture = JSON.parse(readFileSync(join(root, 'models/tests/fixtures/clip_tokenizer.json'), 'utf8')) as {
  cases: { text: string; max_length: number; input_ids: number[] }[];
};
const merges = gunzipSync(
  readFileSync(join(root, 'models/src/t2v_turbo/nets/clip_bpe_simple_vocab_16e6.txt.gz')),
).toString('utf8');
const spec = { kind: 'clip-bpe', max_length: 77, bos_id: 49406, eos_id: 49407, pad_id: 0 } as const;
const tokenizer = new ClipBpeTokenizer(merges, spec);

describe('ClipBpeTokenizer', () => {
  it(`reproduces OpenCLIP's ids on all ${fixture.cases.length} fixture cases`, () => {
    for (const c of fixture.cases) {
      const enc = tokenizer.encode(c.text, c.max_length);
      expect(enc.inputIds, JSON.stringify(c.text)).toEqual(c.input_ids);
      expect(enc.attentionMask.reduce((a, b) => a + b, 0)).toBe(c.input_ids.filter((i) => i !== 0).length);
    }
  });

  it('cuts long prompts but keeps start and end of text', () => {
    const enc = tokenizer.encode('word '.repeat(100));
    expect(enc.truncated).toBe(true);
    expect(enc.inputIds).toHaveLength(77);
    expect([enc.inputIds[0], enc.inputIds[76]]).toEqual([49406, 49407]);
    expect(tokenizer.encode('a red circle').inputIds.slice(0, 6)).toEqual([49406, 320, 736, 7117, 49407, 0]);
  });

  it('cleans like the Python twin', () => {
    expect(clean('  Don’t  ﬁnd\tＡＢＣ &amp;amp; ')).toBe("don't find abc &");
    expect(clean('\x00a\u200bb')).toBe('a\u200bb');
  });

  it('is chosen by the manifest kind and checks its ids against the vocabulary', () => {
    expect(createTokenizer({ ...spec, vocab: { path: 'v', bytes: 0, sha256: '0'.repeat(64) } }, merges)).toBeInstanceOf(
      ClipBpeTokenizer,
    );
    expect(() => new ClipBpeTokenizer(merges, { ...spec, eos_id: 3 })).toThrow(EngineError);
    expect(() => new ClipBpeTokenizer('header\na b\n', spec)).toThrow(/merges/);
  });
});
