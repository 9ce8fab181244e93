import { manifestError } from '../errors';
import { type Manifest, Manifest as ManifestSchema } from './schema';
import { semanticProblems } from './semantics';

/**
 * Validates a parsed `manifest.json`; throws an EngineError('manifest') naming the first field at
 * fault (dotted path, e.g. `sampler.guidance.default`).
 */
export function parseManifest(json: unknown): Manifest {
  const result = ManifestSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const at = [...(issue?.path ?? [])];
    // An unknown key is reported at the key itself, not at the object holding it.
    if (issue?.code === 'unrecognized_keys') at.push(issue.keys[0]);
    const path = at.length ? at.join('.') : '(root)';
    throw manifestError(path, explain(issue));
  }
  const problems = semanticProblems(result.data);
  if (problems.length > 0) {
    const first = problems[0];
    throw manifestError(first.path, first.message);
  }
  return result.data;
}

function explain(issue: { code: string; message: string; keys?: string[] } | undefined): string {
  if (!issue) return 'is malformed';
  if (issue.code === 'unrecognized_keys') return 'is not a known field';
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) return 'is missing';
  return `is invalid: ${issue.message}`;
}
