/**
 * The companion validates manifests against a JSON Schema generated from schema.ts. This test
 * fails when the committed file drifts from the TypeScript schema; `npm run schema` rewrites it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Manifest } from './schema';

const target = join(import.meta.dirname, '../../../models/src/t2v_turbo/export/manifest.schema.json');

function manifestJsonSchema(): string {
  const schema = z.toJSONSchema(Manifest, { io: 'input', target: 'draft-2020-12' });
  return `${JSON.stringify({ ...schema, title: 't2v-turbo-web model package manifest' }, null, 2)}\n`;
}

describe('manifest JSON Schema', () => {
  it('matches the TypeScript schema', () => {
    const generated = manifestJsonSchema();
    if (process.env.UPDATE_SCHEMA) writeFileSync(target, generated);
    expect(readFileSync(target, 'utf8')).toBe(generated);
  });
});
