/**
 * CLIP's byte-level BPE as OpenCLIP applies it (VideoCrafter2's text tower), the browser twin of
 * models/src/t2v_turbo/nets/clip_tokenizer.py — same cleaning (an ftfy subset, two HTML unescapes,
 * whitespace collapse, lower case), same split, same byte table, same merges.
 * models/tests/fixtures/clip_tokenizer.json holds OpenCLIP's own ids, which both twins reproduce.
 */
import { manifestError } from '../errors';
import type { Manifest } from '../manifest/schema';
import type { Encoding } from './wordpiece';

export type ClipBpeSpec = Pick<
  Extract<Manifest['text']['tokenizer'], { kind: 'clip-bpe' }>,
  'max_length' | 'bos_id' | 'eos_id' | 'pad_id'
>;

/** OpenCLIP keeps merges[1 : 49152 - 256 - 2 + 1] of its file: 48,894 merges, 49,408 tokens. */
export const NUM_MERGES = 49152 - 256 - 2;

/** Python's str.isspace() set (what OpenCLIP's whitespace_clean splits on). */
const isWhitespace = (cp: number) =>
  (cp >= 0x09 && cp <= 0x0d) ||
  (cp >= 0x1c && cp <= 0x20) ||
  cp === 0x85 ||
  cp === 0xa0 ||
  cp === 0x1680 ||
  (cp >= 0x2000 && cp <= 0x200a) ||
  cp === 0x2028 ||
  cp === 0x2029 ||
  cp === 0x202f ||
  cp === 0x205f ||
  cp === 0x3000;
// After whitespace has been collapsed, the only white space left is " ".
const PIECE = /'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^ \p{L}\p{N}]+/gu;
/** ftfy's remove_control_chars set. */
const isControl = (cp: number) =>
  cp <= 0x08 ||
  cp === 0x0b ||
  (cp >= 0x0e && cp <= 0x1f) ||
  cp === 0x7f ||
  (cp >= 0x206a && cp <= 0x206f) ||
  cp === 0xfeff ||
  (cp >= 0xfff9 && cp <= 0xfffc);
const LIGATURES: Record<string, string> = {
  Ĳ: 'IJ',
  ĳ: 'ij',
  ŉ: 'ʼn',
  Ǳ: 'DZ',
  ǲ: 'Dz',
  ǳ: 'dz',
  Ǆ: 'DŽ',
  ǅ: 'Dž',
  ǆ: 'dž',
  Ǉ: 'LJ',
  ǈ: 'Lj',
  ǉ: 'lj',
  Ǌ: 'NJ',
  ǋ: 'Nj',
  ǌ: 'nj',
  ﬀ: 'ff',
  ﬁ: 'fi',
  ﬂ: 'fl',
  ﬃ: 'ffi',
  ﬄ: 'ffl',
  ﬅ: 'ſt',
  ﬆ: 'st',
};
const LIGATURE = new RegExp(`[${Object.keys(LIGATURES).join('')}]`, 'gu');
const WIDE = /[\u3000\uff01-\uffef]/gu;
const SINGLE_QUOTES = /[\u02bc\u2018-\u201b]/gu;
const DOUBLE_QUOTES = /[\u201c-\u201f]/gu;
const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\xa0' };
const ENTITY = /&(?:#[xX]([0-9a-fA-F]{1,6})|#([0-9]{1,7})|(amp|lt|gt|quot|apos|nbsp));/g;

function unescapeEntities(text: string): string {
  return text.replace(ENTITY, (_m, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
    if (name) return NAMED_ENTITIES[name];
    const cp = hex !== undefined ? Number.parseInt(hex, 16) : Number.parseInt(dec ?? '0', 10);
    // As html.unescape: NUL, surrogates and out-of-range code points become U+FFFD.
    return cp === 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ? '\ufffd' : String.fromCodePoint(cp);
  });
}

/** OpenCLIP's clean="lower": the ftfy subset, HTML unescaped twice, whitespace collapsed, lower case. */
export function clean(text: string): string {
  let t = Array.from(text)
    .filter((c) => !isControl(c.codePointAt(0)!))
    .join('')
    .replace(LIGATURE, (c) => LIGATURES[c]);
  t = t.replace(WIDE, (c) => (c === '\u3000' ? ' ' : c.normalize('NFKC')));
  t = t.replace(SINGLE_QUOTES, "'").replace(DOUBLE_QUOTES, '"').normalize('NFC');
  t = unescapeEntities(unescapeEntities(t));
  const words: string[] = [];
  let word = '';
  for (const c of t) {
    if (isWhitespace(c.codePointAt(0)!)) {
      if (word) words.push(word);
      word = '';
    } else word += c;
  }
  if (word) words.push(word);
  return words.join(' ').toLowerCase();
}

const PRINTABLE = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);

/** GPT-2's byte table, indexed by byte, and the vocabulary order of the byte symbols. */
function byteTable(): { symbols: string[]; order: number[] } {
  const symbols: string[] = [];
  let extra = 0x100;
  for (let b = 0; b < 256; b++) symbols.push(String.fromCodePoint(PRINTABLE(b) ? b : extra++));
  const all = Array.from({ length: 256 }, (_, b) => b);
  return { symbols, order: [...all.filter(PRINTABLE), ...all.filter((b) => !PRINTABLE(b))] };
}

const utf8 = new TextEncoder();

export class ClipBpeTokenizer {
  readonly spec: ClipBpeSpec;
  private readonly ids = new Map<string, number>();
  private readonly ranks = new Map<string, number>();
  private readonly symbols: string[];
  private readonly cache = new Map<string, string[]>();

  /** `mergesText`: the package's merge list (OpenCLIP's bpe_simple_vocab_16e6.txt, unzipped). */
  constructor(mergesText: string, spec: ClipBpeSpec) {
    const lines = mergesText.split('\n').slice(1, 1 + NUM_MERGES);
    if (lines.length !== NUM_MERGES) {
      throw manifestError(
        'text.tokenizer.vocab',
        `has ${lines.length} merges; a CLIP BPE vocabulary has ${NUM_MERGES}`,
      );
    }
    const { symbols, order } = byteTable();
    this.symbols = symbols;
    const vocab = [...order.map((b) => symbols[b]), ...order.map((b) => `${symbols[b]}</w>`)];
    lines.forEach((line, rank) => {
      const parts = line.split(' ');
      if (parts.length !== 2) throw manifestError('text.tokenizer.vocab', `line ${rank + 2} is not a merge "a b"`);
      this.ranks.set(line, rank);
      vocab.push(parts[0] + parts[1]);
    });
    for (const [id, token] of vocab.entries()) this.ids.set(token, id);
    if (this.ids.size !== vocab.length)
      throw manifestError('text.tokenizer.vocab', 'produces duplicate tokens, so ids would be ambiguous');
    const expected = { bos_id: vocab.length, eos_id: vocab.length + 1 } as const;
    for (const [field, id] of Object.entries(expected) as [keyof typeof expected, number][]) {
      if (spec[field] !== id)
        throw manifestError(`text.tokenizer.${field}`, `is ${spec[field]}; this vocabulary's is ${id}`);
    }
    if (spec.max_length < 2)
      throw manifestError(
        'text.tokenizer.max_length',
        `must leave room for start and end of text, got ${spec.max_length}`,
      );
    this.spec = spec;
  }

  /** Byte-mapped piece -> BPE symbols; the last carries `</w>`. */
  bpe(piece: string): string[] {
    const hit = this.cache.get(piece);
    if (hit) return hit;
    const chars = Array.from(piece);
    let word = [...chars.slice(0, -1), `${chars[chars.length - 1]}</w>`];
    while (word.length > 1) {
      let best = Number.POSITIVE_INFINITY;
      let first = '';
      let second = '';
      for (let i = 0; i + 1 < word.length; i++) {
        const rank = this.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (rank !== undefined && rank < best) {
          best = rank;
          first = word[i];
          second = word[i + 1];
        }
      }
      if (best === Number.POSITIVE_INFINITY) break;
      const merged: string[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === first && word[i + 1] === second) {
          merged.push(first + second);
          i++;
        } else merged.push(word[i]);
      }
      word = merged;
    }
    this.cache.set(piece, word);
    return word;
  }

  /** BPE symbols of `text`, without start/end of text or truncation. */
  tokenize(text: string): string[] {
    const out: string[] = [];
    for (const [piece] of clean(text).matchAll(PIECE)) {
      const mapped = Array.from(utf8.encode(piece), (b) => this.symbols[b]).join('');
      out.push(...this.bpe(mapped));
    }
    return out;
  }

  encode(text: string, maxLength = this.spec.max_length): Encoding {
    if (typeof text !== 'string') throw new TypeError(`text must be a string, got ${typeof text}`);
    const tokens = this.tokenize(text);
    const kept = tokens.slice(0, maxLength - 2);
    const ids = [this.spec.bos_id, ...kept.map((t) => this.ids.get(t)!), this.spec.eos_id];
    const pad = maxLength - ids.length;
    return {
      inputIds: [...ids, ...new Array<number>(pad).fill(this.spec.pad_id)],
      attentionMask: [...new Array<number>(ids.length).fill(1), ...new Array<number>(pad).fill(0)],
      count: ids.length,
      truncated: kept.length < tokens.length,
    };
  }
}
