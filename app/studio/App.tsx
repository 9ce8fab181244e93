import { type ReactNode, useEffect, useState } from 'react';
import { describeBackend, type GpuCapabilities, probeGpu } from '../engine/gpu/probe';
import { generate } from '../state/actions/generate';
import type { View } from '../state/slices/ui';
import { useStudio } from '../state/store';
import { ComparePanel } from './components/ComparePanel';
import { Gallery } from './components/Gallery';
import { ModelPanel } from './components/ModelPanel';
import { Notices } from './components/Notices';
import { PromptBox } from './components/PromptBox';
import { ReferencePanel } from './components/ReferencePanel';
import { RunBar } from './components/RunBar';
import { Settings } from './components/Settings';
import { Stage } from './components/Stage';
import { StatusChip } from './components/StatusChip';
import { ViewTabs } from './components/ViewTabs';

export function App() {
  const view = useStudio((s) => s.ui.view);
  useGenerateShortcut();
  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <img src="/icon.svg" alt="" width={24} height={24} />
          <h1>Turbo Studio</h1>
        </div>
        <ViewTabs />
        <div className="topbar-right">
          <GpuNotice />
          <StatusChip />
        </div>
      </header>
      <main className="views">
        <Panel view="create" active={view}>
          <div className="create-view">
            <aside className="sidebar" aria-label="Create">
              <PromptBox />
              <RunBar />
              <Settings />
              <ReferencePanel />
            </aside>
            <Stage />
          </div>
        </Panel>
        <Panel view="compare" active={view}>
          <ComparePanel />
        </Panel>
        <Panel view="gallery" active={view}>
          <Gallery />
        </Panel>
        <Panel view="model" active={view}>
          <ModelPanel />
        </Panel>
      </main>
      <Notices />
    </div>
  );
}

/** A tab panel; only the open one renders its content (players in hidden views would keep animating). */
function Panel({ view, active, children }: { view: View; active: View; children: ReactNode }) {
  return (
    <div role="tabpanel" id={`panel-${view}`} aria-labelledby={`tab-${view}`} hidden={view !== active} className="view">
      {view === active && children}
    </div>
  );
}

/** What this browser's WebGPU offers, as a fact next to the model status. */
function GpuNotice() {
  const [gpu, setGpu] = useState<GpuCapabilities>();
  useEffect(() => {
    void probeGpu().then(setGpu);
  }, []);
  return (
    <p role="status" data-testid="backend-notice" className={gpu?.webgpu ? 'gpu-notice ok' : 'gpu-notice warn'}>
      {gpu ? describeBackend(gpu) : 'Checking WebGPU…'}
    </p>
  );
}

/** Ctrl+Enter (Cmd+Enter on a Mac) generates from anywhere in the studio. */
function useGenerateShortcut(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !e.repeat) {
        e.preventDefault();
        void generate();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
