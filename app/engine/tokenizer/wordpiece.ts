/**
 * BERT WordPiece tokenizer (uncased), the browser twin of models/src/t2v_turbo/nets/tokenizer.py.
 *
 * Same pipeline, same character classes: drop NUL, U+FFFD and controls (Cc, Cf, Co, Cs; tab and
 * newlines count as whitespace), map White_Space to a space, space out CJK ideographs, NFD and drop
 * non-spacing marks, lower-case per code point, split on whitespace and around punctuation, then
 * greedy longest-match-first WordPiece with `##` continuations. Everything works on code points,
 * never UTF-16 units, so astral characters (emoji, CJK extensions) count as one character as in
 * Python. models/tests/fixtures/tokenizer.json holds the ids both twins must produce.
 */
import { manifestError } from '../errors';
import type { Manifest } from '../manifest/schema';

/** The manifest's tokenizer fields this class needs (the manifest object itself fits). */
export type TokenizerSpec = Pick<
  Extract<Manifest['text']['tokenizer'], { kind: 'bert-wordpiece' }>,
  'lowercase' | 'strip_accents' | 'max_length' | 'cls_id' | 'sep_id' | 'pad_id' | 'unk_id'
>;

export interface Encoding {
  /** [CLS] … [SEP] then [PAD] up to max_length. */
  inputIds: number[];
  attentionMask: number[];
  /** Tokens kept, [CLS] and [SEP] included, padding excluded. */
  count: number;
  /** True when word pieces were dropped to fit max_length. */
  truncated: boolean;
}

// BERT's limit: a longer word becomes [UNK] without trying to split it.
const MAX_CHARS_PER_WORD = 100;

// Unicode White_Space, listed rather than taken from the runtime so both twins agree exactly.
const WHITESPACE = new Set<string>([
  '\t',
  '\n',
  '\v',
  '\f',
  '\r',
  ' ',
  '\x85',
  '\xa0',
  '\u1680',
  '\u2028',
  '\u2029',
  '\u202f',
  '\u205f',
  '\u3000',
  ...Array.from({ length: 11 }, (_, i) => String.fromCodePoint(0x2000 + i)),
]);

const CJK_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x4e00, 0x9fff],
  [0x3400, 0x4dbf],
  [0x20000, 0x2a6df],
  [0x2a700, 0x2b73f],
  [0x2b740, 0x2b81f],
  [0x2b920, 0x2ceaf],
  [0xf900, 0xfaff],
  [0x2f800, 0x2fa1f],
];

const CONTROL = /^[\p{Cc}\p{Cf}\p{Co}\p{Cs}]$/u;
const UNICODE_PUNCTUATION = /^\p{P}$/u;
const NONSPACING_MARK = /^\p{Mn}$/u;

const isControl = (ch: string) => ch !== '\t' && ch !== '\n' && ch !== '\r' && CONTROL.test(ch);

function isCjk(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  return CJK_RANGES.some(([lo, hi]) => lo <= cp && cp <= hi);
}

function isPunctuation(ch: string): boolean {
  // ASCII symbols such as $ + < = > ^ ` | ~ are not Unicode punctuation, but BERT splits on them.
  const cp = ch.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
    return true;
  }
  return UNICODE_PUNCTUATION.test(ch);
}

/** BertNormalizer: clean, space out CJK, strip accents (NFD, drop Mn), lower-case per code point. */
export function normalize(text: string, lowercase = true, stripAccents = true): string {
  let out = '';
  for (const ch of text) {
    if (ch === '\0' || ch === '\ufffd' || isControl(ch)) continue;
    if (WHITESPACE.has(ch)) out += ' ';
    else if (isCjk(ch)) out += ` ${ch} `;
    else out += ch;
  }
  if (stripAccents) {
    let kept = '';
    for (const ch of out.normalize('NFD')) if (!NONSPACING_MARK.test(ch)) kept += ch;
    out = kept;
  }
  if (lowercase) {
    let lower = '';
    for (const ch of out) lower += ch.toLowerCase();
    out = lower;
  }
  return out;
}

/** BertPreTokenizer: split on whitespace (dropped) and around each punctuation character (kept). */
export function preTokenize(text: string): string[] {
  const words: string[] = [];
  let current = '';
  for (const ch of text) {
    const space = WHITESPACE.has(ch);
    if (space || isPunctuation(ch)) {
      if (current) words.push(current);
      current = '';
      if (!space) words.push(ch);
    } else {
      current += ch;
    }
  }
  if (current) words.push(current);
  return words;
}

export class WordPieceTokenizer {
  readonly spec: TokenizerSpec;
  private readonly vocab: Map<string, number>;
  private readonly unkToken: string;

  /** `vocabText`: the package's vocab.txt, one token per line, id = line number. */
  constructor(vocabText: string, spec: TokenizerSpec) {
    const lines = vocabText.split('\n');
    if (lines.at(-1) === '') lines.pop();
    this.vocab = new Map(lines.map((token, id) => [token, id]));
    if (this.vocab.size !== lines.length) {
      throw manifestError('text.tokenizer.vocab', 'has duplicate tokens, so ids would be ambiguous');
    }
    if (spec.max_length < 2) {
      throw manifestError('text.tokenizer.max_length', `must leave room for [CLS] and [SEP], got ${spec.max_length}`);
    }
    const expected = { cls_id: '[CLS]', sep_id: '[SEP]', pad_id: '[PAD]', unk_id: '[UNK]' } as const;
    for (const [field, token] of Object.entries(expected) as [keyof typeof expected, string][]) {
      if (lines[spec[field]] !== token) {
        throw manifestError(
          `text.tokenizer.${field}`,
          `is ${spec[field]}, but line ${spec[field]} of the vocabulary is ${JSON.stringify(lines[spec[field]] ?? null)}, not ${token}`,
        );
      }
    }
    this.spec = spec;
    this.unkToken = lines[spec.unk_id];
  }

  /** Greedy longest-match-first WordPiece; a word with any unmatched part is one [UNK]. */
  wordPieces(word: string): string[] {
    const chars = Array.from(word);
    if (chars.length > MAX_CHARS_PER_WORD) return [this.unkToken];
    const pieces: string[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let piece: string | undefined;
      while (start < end) {
        const sub = chars.slice(start, end).join('');
        const candidate = start === 0 ? sub : `##${sub}`;
        if (this.vocab.has(candidate)) {
          piece = candidate;
          break;
        }
        end -= 1;
      }
      if (piece === undefined) return [this.unkToken];
      pieces.push(piece);
      start = end;
    }
    return pieces;
  }

  /** Word pieces of `text`, without special tokens or truncation. */
  tokenize(text: string): string[] {
    const words = preTokenize(normalize(text, this.spec.lowercase, this.spec.strip_accents));
    return words.flatMap((w) => this.wordPieces(w));
  }

  encode(text: string, maxLength = this.spec.max_length): Encoding {
    if (typeof text !== 'string') throw new TypeError(`text must be a string, got ${typeof text}`);
    const pieces = this.tokenize(text);
    const kept = pieces.slice(0, maxLength - 2);
    const ids = [this.spec.cls_id, ...kept.map((p) => this.vocab.get(p)!), this.spec.sep_id];
    const pad = maxLength - ids.length;
    return {
      inputIds: [...ids, ...new Array<number>(pad).fill(this.spec.pad_id)],
      attentionMask: [...new Array<number>(ids.length).fill(1), ...new Array<number>(pad).fill(0)],
      count: ids.length,
      truncated: kept.length < pieces.length,
    };
  }
}

/** int64 view of ids or a mask, as the text-encoder graph takes them. */
export const toInt64 = (values: readonly number[]) => BigInt64Array.from(values, (v) => BigInt(v));
