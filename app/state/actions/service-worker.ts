/**
 * The studio's service worker (`/sw.js`, built by vite-plugin-pwa: the app shell, onnxruntime's
 * runtime, the bundled packages' manifests), for offline use and installability. The studio
 * registers it itself, instead of a script the plugin would inject into every page, so test pages
 * (the engine harness) stay uncontrolled and their requests routable. Builds only: the dev server
 * serves no sw.js.
 */
import { studio } from '../store';
import { messageOf } from './failure';

export function registerServiceWorker(): void {
  if (import.meta.env.DEV || !('serviceWorker' in navigator)) return;
  const register = () =>
    navigator.serviceWorker
      .register('/sw.js', { scope: '/' })
      .catch((e) =>
        studio
          .getState()
          .notify('warn', `Offline use is unavailable: the service worker could not be installed (${messageOf(e)}).`),
      );
  // After the page has loaded: installing precaches ~60 MB, which should not compete with start-up.
  if (document.readyState === 'complete') void register();
  else window.addEventListener('load', () => void register(), { once: true });
}
