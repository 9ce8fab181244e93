/**
 * Checks a generation request against the model's manifest before any work: a clear message for
 * each bad field, nothing clamped silently (the studio clamps URL values itself, with a notice).
 */
import { badInputError } from '../errors';
import type { Manifest } from '../manifest/schema';
import type { GenerateRequest } from '../protocol';

/** Longest prompt accepted, in characters; the tokenizer truncates far earlier (manifest max_length). */
export const MAX_PROMPT_CHARS = 2000;

export function checkGenerateRequest(r: GenerateRequest, m: Manifest): void {
  const { steps, guidance, motion } = m.sampler;
  if (typeof r.prompt !== 'string' || r.prompt.trim().length === 0) {
    throw badInputError('Prompt', 'is empty — describe the clip you want, e.g. "a red circle moving right".');
  }
  if (r.prompt.length > MAX_PROMPT_CHARS) {
    throw badInputError('Prompt', `is ${r.prompt.length} characters long; the limit is ${MAX_PROMPT_CHARS}.`);
  }
  const inRange = (name: string, v: number, lo: number, hi: number, integer = false) => {
    if (!Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < lo || v > hi) {
      throw badInputError(name, `must be ${integer ? 'a whole number ' : ''}between ${lo} and ${hi}, got ${v}.`);
    }
  };
  inRange('Steps', r.steps, steps.min, steps.max, true);
  inRange('Guidance scale w', r.guidance, guidance.min, guidance.max);
  inRange('Motion strength', r.motion, motion.min, motion.max);
  inRange('Seed', r.seed, 0, 0xffffffff, true);
  if (r.fps !== undefined) inRange('Frame rate', r.fps, 1, 60);
  if (r.reference) {
    inRange('Reference strength', r.reference.strength, 0, 10_000);
    if (r.reference.tau !== undefined) inRange('Guided fraction', r.reference.tau, 0, 1);
  }
}
