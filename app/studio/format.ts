/** Small formatting helpers for the studio's text. */

/** "850 ms", "4.2 s", "1 min 05 s". */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(Math.round(s - m * 60)).padStart(2, '0')} s`;
}

/** Settings in one line: "4 steps · w 7.5 · motion 0.5 · seed 42". */
export function settingsLine(s: { steps: number; guidance: number; motion: number; seed: number }): string {
  return `${s.steps} step${s.steps === 1 ? '' : 's'} · w ${s.guidance} · motion ${s.motion} · seed ${s.seed}`;
}

export function backendName(b: 'webgpu' | 'wasm' | undefined): string {
  return b === 'webgpu' ? 'WebGPU' : b === 'wasm' ? 'WASM' : '—';
}

export function formatDate(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
