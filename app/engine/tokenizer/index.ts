/**
 * The tokenizer a package names (`text.tokenizer.kind`), built from its vocabulary file. Both kinds
 * give the same Encoding, so the pipeline does not care which one it holds.
 */
import type { TokenizerManifest } from '../manifest/schema';
import { ClipBpeTokenizer } from './clip-bpe';
import { type Encoding, WordPieceTokenizer } from './wordpiece';

export interface Tokenizer {
  readonly spec: { max_length: number };
  encode(text: string): Encoding;
}

export function createTokenizer(spec: TokenizerManifest, vocabText: string): Tokenizer {
  switch (spec.kind) {
    case 'bert-wordpiece':
      return new WordPieceTokenizer(vocabText, spec);
    case 'clip-bpe':
      return new ClipBpeTokenizer(vocabText, spec);
    default: {
      const unknown: never = spec;
      throw new Error(`unknown tokenizer kind ${JSON.stringify(unknown)}`);
    }
  }
}
