/**
 * Medians and spreads for the figures `npm run bench` prints as it goes (the report itself is
 * rendered from the raw samples by the companion, t2v_turbo.bench.stats, with the same definitions:
 * linear-interpolated quartiles, as numpy.percentile).
 */

function quantile(sorted, q) {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** { median, q1, q3, iqr, min, max, n } of the samples. */
export function summarize(samples) {
  if (!samples.length) throw new Error('no samples to summarize');
  const s = [...samples].sort((a, b) => a - b);
  const q1 = quantile(s, 0.25);
  const q3 = quantile(s, 0.75);
  return { median: quantile(s, 0.5), q1, q3, iqr: q3 - q1, min: s[0], max: s.at(-1), n: s.length };
}

/** Summary of a[i] / b[i] for pairs measured back to back. */
export function pairedRatios(a, b) {
  if (a.length !== b.length) throw new Error(`${a.length} numerators but ${b.length} denominators`);
  return summarize(a.map((x, i) => x / b[i]));
}

/** "123.4 ms (IQR 120.1–130.2, n 7)" */
export function describe(samples, unit = 'ms', digits = 1) {
  const s = summarize(samples);
  return `${s.median.toFixed(digits)} ${unit} (IQR ${s.q1.toFixed(digits)}–${s.q3.toFixed(digits)}, n ${s.n})`;
}
