import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { Engine } from './engine/protocol';
import { bootStudio } from './state/actions/boot';
import { setEngine } from './state/engine';
import { App } from './studio/App';
import './studio/studio.css';

/**
 * ══ ENGINE WIRING: the single place the studio's engine is created. ══
 * When app/engine/worker-client.ts lands, replace the body with
 *   return new WorkerEngine();
 * (import { WorkerEngine } from './engine/worker-client'). Until then the studio runs without
 * one and says "Model not loaded" wherever generation would be offered.
 */
function createEngine(): Engine | undefined {
  return undefined;
}

setEngine(createEngine());

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
void bootStudio();
