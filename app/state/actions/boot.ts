/**
 * Start-up, in order: the service worker (once the page has loaded), the gallery (so nothing saved is ever hidden), the bundled models' ranges
 * (of the one the URL's `model` names, else the first), then the URL's settings clamped to those
 * ranges, storage facts, and finally that bundled model is loaded if an engine is wired in.
 * Afterwards the URL follows the settings.
 */

import { currentEngine } from '../engine';
import { studio } from '../store';
import { parseUrlSettings, settingsToSearch, urlModel } from '../url-settings';
import { loadGallery } from './gallery';
import { checkInterrupted } from './generate';
import { discoverBundled, loadBundled } from './model';
import { registerServiceWorker } from './service-worker';
import { askPersistence, refreshStorage } from './storage';

export async function bootStudio(): Promise<void> {
  registerServiceWorker();
  checkInterrupted();
  const gallery = loadGallery();
  const chosen = await discoverBundled(urlModel(location.search));
  applyUrl(location.search);
  followSettingsInUrl();
  await gallery;
  void askPersistence().then(refreshStorage);
  if (currentEngine() && chosen) await loadBundled(chosen);
}

export function applyUrl(search: string): void {
  const s = studio.getState();
  const { values, notices } = parseUrlSettings(search, s.create.limits);
  s.applyUrlSettings(values);
  for (const n of notices) s.notify('warn', n);
}

let following = false;

/** Keeps the address bar in step with the settings (replaceState: no history entry per slider move). */
function followSettingsInUrl(): void {
  if (following) return;
  following = true;
  let last = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  studio.subscribe((state) => {
    const search = settingsToSearch({ ...state.create, model: state.model.bundledId });
    if (search === last) return;
    last = search;
    clearTimeout(timer);
    timer = setTimeout(
      () => history.replaceState(history.state, '', `${location.pathname}${search}${location.hash}`),
      300,
    );
  });
}
