/**
 * The one way the studio reaches the engine. main.tsx creates it (a WorkerEngine) and calls
 * `setEngine`; until then every action sees `currentEngine() === undefined` and the UI says the
 * model is not loaded instead of breaking.
 */
import type { Engine } from '../engine/protocol';
import { studio } from './store';

let current: Engine | undefined;

export function setEngine(engine: Engine | undefined): void {
  current = engine;
  studio.getState().setEngineAvailable(engine !== undefined);
  // E2E builds (`--mode test`) let a test reach the engine's test hooks (WorkerEngine.testing).
  if (import.meta.env.MODE === 'test') (globalThis as { studioEngine?: Engine }).studioEngine = engine;
}

export function currentEngine(): Engine | undefined {
  return current;
}
