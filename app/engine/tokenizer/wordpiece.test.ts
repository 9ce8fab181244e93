/**
 * The TypeScript tokenizer against its Python twin: models/tests/fixtures/tokenizer.json holds the ids
 * that t2v_turbo.nets.tokenizer produces (itself checked against Hugging Face `tokenizers`), for a
 * corpus of unusual text and for every code point assigned in planes 0 and 1 (as per-chunk hashes).
 * Regenerate it from Python: `UPDATE_FIXTURES=1 pytest models/tests/test_tokenizer.py`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineError } from '../errors';
import { normalize, preTokenize, type TokenizerSpec, toInt64, WordPieceTokenizer } from './wordpiece';

interface Fixture {
  vocab: string;
  spec: TokenizerSpec;
  cases: {
    text: string;
    max_length: number;
    input_ids: number[];
    attention_mask: number[];
    count: number;
    truncated: boolean;
  }[];
  sweep: {
    template: string;
    max_length: number;
    chunk: number;
    ranges: [number, number][];
    hashes: Record<string, string>;
  };
}

const fixtures = join(import.meta.dirname, '../../../models/tests/fixtures');
const fixture = JSON.parse(readFileSync(join(fixtures, 'tokenizer.json'), 'utf8')) as Fixture;
const vocabText = readFileSync(join(fixtures, fixture.vocab), 'utf8');
const tokenizer = new WordPieceTokenizer(vocabText, fixture.spec);

describe('WordPieceTokenizer', () => {
  it('matches the Python twin on every corpus case', () => {
    expect(fixture.cases.length).toBeGreaterThan(100);
    for (const c of fixture.cases) {
      const { inputIds, attentionMask, count, truncated } = tokenizer.encode(c.text, c.max_length);
      expect({ text: c.text, inputIds, attentionMask, count, truncated }).toEqual({
        text: c.text,
        inputIds: c.input_ids,
        attentionMask: c.attention_mask,
        count: c.count,
        truncated: c.truncated,
      });
    }
  });

  it('matches the Python twin on every assigned code point of planes 0 and 1', () => {
    const { template, max_length, chunk, ranges, hashes } = fixture.sweep;
    const lines = new Map<number, string[]>();
    for (const [lo, hi] of ranges) {
      for (let cp = lo; cp <= hi; cp++) {
        const ch = String.fromCodePoint(cp);
        const ids = tokenizer.encode(template.replaceAll('{c}', ch), max_length).inputIds;
        const key = Math.floor(cp / chunk);
        if (!lines.has(key)) lines.set(key, []);
        lines.get(key)!.push(`${cp.toString(16)}:${ids.join(',')}`);
      }
    }
    const mismatched: string[] = [];
    for (const [key, chunkLines] of lines) {
      const hash = createHash('sha256').update(chunkLines.join('\n')).digest('hex').slice(0, 16);
      if (hash !== hashes[String(key)]) mismatched.push(`U+${(key * chunk).toString(16).toUpperCase()}`);
    }
    expect(lines.size).toBe(Object.keys(hashes).length);
    expect(mismatched, 'chunks (by first code point) whose ids differ from Python').toEqual([]);
  });

  it('normalizes and splits as BERT does', () => {
    expect(normalize('Crème BRÛLÉE\u200b\tİ')).toBe('creme brulee i');
    expect(normalize('红色')).toBe(' 红  色 ');
    expect(preTokenize("don't stop--now")).toEqual(['don', "'", 't', 'stop', '-', '-', 'now']);
    expect(tokenizer.tokenize('unbelievably')).toEqual(['un', '##bel', '##ie', '##va', '##bly']);
    expect(tokenizer.tokenize('a'.repeat(101))).toEqual(['[UNK]']);
  });

  it('says when it truncated and pads to max_length', () => {
    const long = tokenizer.encode('word '.repeat(60));
    expect(long).toMatchObject({ count: 48, truncated: true });
    expect(long.inputIds.at(-1)).toBe(fixture.spec.sep_id);
    const short = tokenizer.encode('a red circle');
    expect(short).toMatchObject({ count: 5, truncated: false });
    expect(short.inputIds).toHaveLength(48);
    expect(toInt64(short.inputIds.slice(0, 2))).toEqual(BigInt64Array.from([101n, 1037n]));
  });

  it('rejects a vocabulary that does not fit the manifest', () => {
    expect(() => new WordPieceTokenizer(vocabText, { ...fixture.spec, cls_id: 5 })).toThrow(
      /text\.tokenizer\.cls_id is 5, but line 5 of the vocabulary is "\[unused4\]", not \[CLS\]/,
    );
    expect(() => new WordPieceTokenizer('[PAD]\n[PAD]\n', fixture.spec)).toThrow(EngineError);
    expect(() => new WordPieceTokenizer(vocabText, { ...fixture.spec, max_length: 1 })).toThrow(/room for \[CLS\]/);
  });
});
