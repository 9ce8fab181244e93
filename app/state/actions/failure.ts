/** Turning any failure into a notice a user can act on. */
import { EngineError, type EngineErrorKind } from '../../engine/errors';
import { studio } from '../store';

export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

export function kindOf(e: unknown): EngineErrorKind {
  return e instanceof EngineError ? e.kind : 'internal';
}

/** Shows an engine failure with the follow-up that fits it. */
export function notifyEngineFailure(e: unknown, what: string): void {
  const s = studio.getState();
  const kind = kindOf(e);
  const message = messageOf(e);
  switch (kind) {
    case 'cancelled':
      s.notify('info', `${what} was cancelled.`);
      return;
    case 'device-lost':
      s.notify('error', message, 'retry-generate');
      return;
    case 'not-loaded':
      s.notify('warn', message, 'open-model');
      return;
    case 'bad-input':
      s.notify('warn', message);
      return;
    default:
      s.notify('error', kind === 'internal' ? `${what} failed: ${message}` : message);
  }
}
