/** Reference slice: the motion-guidance video: its checks, the chosen window, strength, extracted motion. */
import type { StateCreator } from 'zustand/vanilla';
import type { ReferenceInfo } from '../../media/reference-limits';
import type { Studio } from '../store';

export type ReferenceStatus = 'empty' | 'checking' | 'decoding' | 'ready' | 'error';

export type MotionStatus = 'none' | 'extracting' | 'ready' | 'unavailable' | 'error';

export interface ReferenceState {
  status: ReferenceStatus;
  /** The file's name and size as soon as it is picked; the rest once its header was read. */
  fileName?: string;
  fileBytes?: number;
  info?: ReferenceInfo;
  error?: string;
  /** Seconds into the video: the span the model's frames are taken from. */
  window: { start: number; end: number };
  /** lambda: how strongly the generation follows the reference motion. */
  strength: number;
  /** Use the reference for the next generation. */
  enabled: boolean;
  /** Clip-registry id of the decoded frames (what the engine receives), for the preview. */
  framesId?: string;
  motion: { status: MotionStatus; referenceId?: string; mapId?: string; message?: string };
}

export const initialReference: ReferenceState = {
  status: 'empty',
  window: { start: 0, end: 0 },
  strength: 500,
  enabled: true,
  motion: { status: 'none' },
};

export interface ReferenceSlice {
  reference: ReferenceState;
  referencePicked(fileName: string, fileBytes: number): void;
  referenceProbed(info: ReferenceInfo, window: { start: number; end: number }): void;
  referenceDecoded(framesId: string): void;
  referenceFailed(error: string): void;
  setReferenceWindow(window: { start: number; end: number }): void;
  setReferenceStrength(strength: number): void;
  setReferenceEnabled(enabled: boolean): void;
  setReferenceMotion(motion: ReferenceState['motion']): void;
  clearReference(): void;
}

export const createReferenceSlice: StateCreator<Studio, [], [], ReferenceSlice> = (set) => {
  const patch = (p: Partial<ReferenceState>) => set((s) => ({ reference: { ...s.reference, ...p } }));
  return {
    reference: initialReference,
    referencePicked: (fileName, fileBytes) =>
      set((s) => ({
        reference: {
          ...initialReference,
          strength: s.reference.strength,
          status: 'checking',
          fileName,
          fileBytes,
        },
      })),
    referenceProbed: (info, window) => patch({ status: 'decoding', info, window }),
    referenceDecoded: (framesId) => patch({ status: 'ready', framesId }),
    referenceFailed: (error) =>
      patch({ status: 'error', error, framesId: undefined, info: undefined, motion: { status: 'none' } }),
    setReferenceWindow: (window) => patch({ window }),
    setReferenceStrength: (strength) => patch({ strength }),
    setReferenceEnabled: (enabled) => patch({ enabled }),
    setReferenceMotion: (motion) => patch({ motion }),
    clearReference: () => set((s) => ({ reference: { ...initialReference, strength: s.reference.strength } })),
  };
};
