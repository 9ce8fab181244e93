import { beforeEach, describe, expect, it } from 'vitest';
import { STUDIO_DEFAULT_LIMITS } from './limits';
import { MAX_COMPARE } from './slices/compare';
import type { GalleryItem } from './slices/gallery';
import { MAX_NOTICES } from './slices/notices';
import { initialStudioState, studio } from './store';

const s = () => studio.getState();

function item(id: string, created: number): GalleryItem {
  return {
    id,
    created,
    prompt: `clip ${id}`,
    settings: { steps: 4, guidance: 7.5, motion: 0.5, seed: 1 },
    modelId: 'm',
    modelName: 'M',
    backend: 'wasm',
    width: 8,
    height: 8,
    frameCount: 2,
    fps: 8,
    scores: [],
    timeMs: 10,
    saved: true,
  };
}

beforeEach(() => studio.setState(initialStudioState));

describe('create settings', () => {
  it('are clamped to the limits, steps and seeds to whole numbers', () => {
    s().setGuidance(99);
    s().setMotion(-1);
    s().setSteps(5.6);
    s().setSeed(-3);
    expect(s().create).toMatchObject({ guidance: 15, motion: 0, steps: 6 });
    expect(s().create.seed).toBe(0);
    s().setSeed(2 ** 40);
    expect(s().create.seed).toBe(2 ** 32 - 1);
    s().setSeed(Number.NaN);
    expect(s().create.seed).toBe(0);
  });

  it('adopt a new model: defaults on first sight, or clamped with a notice per change', () => {
    const narrow = { ...STUDIO_DEFAULT_LIMITS, steps: { min: 2, max: 4, default: 2, recommended: [2] } };
    s().setSteps(8);
    expect(s().applyLimits(narrow, false)).toEqual(["Steps 8 is outside this model's range 2–4; using 4."]);
    expect(s().create.steps).toBe(4);
    expect(s().applyLimits(narrow, true)).toEqual([]);
    expect(s().create.steps).toBe(2);
  });

  it('keep a setting the user moved while the model was read, clamped to its range', () => {
    const model = {
      ...STUDIO_DEFAULT_LIMITS,
      steps: { min: 2, max: 6, default: 4, recommended: [4] },
      guidance: { min: 1, max: 12, default: 7.5 },
    };
    const snapshot = { ...s().create };
    s().setGuidance(14); // moved after the snapshot; above the new model's maximum
    expect(s().applyLimits(model, true, snapshot)).toEqual([]);
    expect(s().create).toMatchObject({ guidance: 12, steps: 4, motion: model.motion.default });
  });

  it('take URL values, locking the seed when the URL pins one', () => {
    s().applyUrlSettings({ prompt: 'p', guidance: 9 });
    expect(s().create).toMatchObject({ prompt: 'p', guidance: 9, seedLocked: false });
    s().applyUrlSettings({ seed: 5 });
    expect(s().create).toMatchObject({ seed: 5, seedLocked: true, prompt: 'p' });
  });
});

describe('compare', () => {
  it('holds at most six clips and toggles membership', () => {
    for (let i = 0; i < MAX_COMPARE; i++) expect(s().toggleCompare(`c${i}`)).toBe(true);
    expect(s().toggleCompare('one-too-many')).toBe(false);
    expect(s().compare.ids).toHaveLength(MAX_COMPARE);
    s().toggleCompare('c0');
    expect(s().compare.ids).not.toContain('c0');
    s().setCompare(['a', 'a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(s().compare.ids).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });
  it('keeps sweep counts in 2-6', () => {
    s().setSweep('seed', 40);
    expect(s().compare).toMatchObject({ sweepSetting: 'seed', sweepCount: 6 });
    s().setSweep('steps', 1);
    expect(s().compare.sweepCount).toBe(2);
  });
});

describe('gallery', () => {
  it('merges loaded clips with ones made meanwhile, newest first', () => {
    s().addGalleryItem(item('fresh', 300));
    s().galleryLoaded([item('old', 100), item('older', 50), item('fresh', 300)]);
    expect(s().gallery.items.map((i) => i.id)).toEqual(['fresh', 'old', 'older']);
    expect(s().gallery.loaded).toBe(true);
  });
  it('removing a clip also takes it out of compare and the player', () => {
    s().galleryLoaded([item('a', 2), item('b', 1)]);
    s().toggleCompare('a');
    s().toggleCompare('b');
    s().selectClip('a');
    s().removeGalleryItem('a');
    expect(s().gallery.items.map((i) => i.id)).toEqual(['b']);
    expect(s().compare.ids).toEqual(['b']);
    expect(s().gallery.selectedId).toBeUndefined();
  });
  it('marks a clip saved once storage took it', () => {
    s().addGalleryItem({ ...item('x', 1), saved: false });
    s().markSaved('x');
    expect(s().gallery.items[0].saved).toBe(true);
  });
});

describe('notices', () => {
  it('drop repeats and keep only the latest few', () => {
    s().notify('info', 'same');
    s().notify('info', 'same');
    expect(s().notices.items).toHaveLength(1);
    for (let i = 0; i < 10; i++) s().notify('warn', `n${i}`);
    expect(s().notices.items).toHaveLength(MAX_NOTICES);
    expect(s().notices.items.at(-1)?.text).toBe('n9');
    const id = s().notices.items[0].id;
    s().dismissNotice(id);
    expect(s().notices.items.some((n) => n.id === id)).toBe(false);
  });
});

describe('reference', () => {
  it('keeps the chosen strength across picks and removal', () => {
    s().setReferenceStrength(800);
    s().referencePicked('a.mp4', 10);
    expect(s().reference).toMatchObject({ status: 'checking', fileName: 'a.mp4', strength: 800 });
    s().referenceFailed('bad');
    expect(s().reference).toMatchObject({ status: 'error', error: 'bad' });
    s().clearReference();
    expect(s().reference).toMatchObject({ status: 'empty', strength: 800 });
  });
});
