import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { Engine } from './engine/protocol';
import { WorkerEngine } from './engine/worker-client';
import { bootStudio } from './state/actions/boot';
import { setEngine } from './state/engine';
import { App } from './studio/App';
import './studio/studio.css';

/** The studio's engine: onnxruntime-web and our WGSL kernels in a Web Worker, off the UI thread. */
function createEngine(): Engine | undefined {
  if (typeof Worker === 'undefined') return undefined;
  return new WorkerEngine();
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
