import { useEffect, useState } from 'react';
import { type FitView, packageFit } from '../../state/actions/requirements';
import { useStudio } from '../../state/store';

/** One bundled package's requirements and whether this device meets them, shown before any download. */
export function PackageFit({ baseUrl }: { baseUrl: string }) {
  const choice = useStudio((s) => s.model.backendChoice);
  const [fit, setFit] = useState<FitView | undefined>();
  useEffect(() => {
    let current = true;
    packageFit(baseUrl, choice).then(
      (f) => current && setFit(f),
      () => current && setFit(undefined),
    );
    return () => {
      current = false;
    };
  }, [baseUrl, choice]);
  if (!fit) return null;
  return (
    <span className="small" data-testid="package-fit">
      <span className="muted">{fit.needs}.</span>{' '}
      <span className={fit.ok === false ? 'run-error' : undefined}>{fit.verdict}</span>
    </span>
  );
}
