import { useEffect, useState } from 'react';
import { describeBackend, type GpuCapabilities, probeGpu } from '../engine/gpu/probe';

export function App() {
  const [gpu, setGpu] = useState<GpuCapabilities>();
  useEffect(() => {
    probeGpu().then(setGpu);
  }, []);
  return (
    <main className="studio">
      <header>
        <h1>Turbo Studio</h1>
        <p className="tagline">Text to video on your own GPU — private, offline, in a few steps.</p>
      </header>
      <p role="status" data-testid="backend-notice" className={gpu?.webgpu ? 'notice ok' : 'notice warn'}>
        {gpu ? describeBackend(gpu) : 'Checking WebGPU…'}
      </p>
    </main>
  );
}
