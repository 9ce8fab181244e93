/** Generation slice: the run in progress (one at a time), its progress, and the last failure. */
import type { StateCreator } from 'zustand/vanilla';
import type { EngineErrorKind } from '../../engine/errors';
import type { Progress } from '../../engine/protocol';
import type { Studio } from '../store';

export type GenerationStatus = 'idle' | 'running' | 'cancelling';

export interface GenerationState {
  status: GenerationStatus;
  /** What runs, in words: "Generating", "Sweep: w = 9 (2 of 5)", "Extracting motion". */
  label?: string;
  progress?: Progress;
  /** performance.now() at the start, for the elapsed clock when the engine is quiet. */
  startedAt?: number;
  lastError?: { kind: EngineErrorKind; message: string };
}

export const initialGeneration: GenerationState = { status: 'idle' };

export interface GenerationSlice {
  generation: GenerationState;
  runStarted(label: string, startedAt: number): void;
  runLabel(label: string): void;
  runProgress(p: Progress): void;
  runCancelling(): void;
  runFinished(error?: { kind: EngineErrorKind; message: string }): void;
}

export const createGenerationSlice: StateCreator<Studio, [], [], GenerationSlice> = (set) => {
  const patch = (p: Partial<GenerationState>) => set((s) => ({ generation: { ...s.generation, ...p } }));
  return {
    generation: initialGeneration,
    runStarted: (label, startedAt) =>
      set({ generation: { status: 'running', label, startedAt, progress: undefined, lastError: undefined } }),
    runLabel: (label) => patch({ label }),
    runProgress: (progress) => patch({ progress }),
    runCancelling: () =>
      set((s) => (s.generation.status === 'running' ? { generation: { ...s.generation, status: 'cancelling' } } : {})),
    runFinished: (lastError) => set({ generation: { status: 'idle', lastError } }),
  };
};
