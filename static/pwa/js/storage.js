// Storage the phone keeps for us: ask for persistence (the browser may otherwise evict
// IndexedDB when space is short), show the usage, and warn where eviction is certain.

export async function persisted() {
  try { return Boolean(await navigator.storage?.persisted?.()); } catch { return false; }
}

/** Ask once; the browser decides (Chrome grants installed / engaged apps silently). */
export async function requestPersistence() {
  try { return Boolean(await navigator.storage?.persist?.()); } catch { return false; }
}

/** {usage, quota} in bytes, or null when the browser does not say. */
export async function estimate() {
  try {
    const e = await navigator.storage?.estimate?.();
    return e ? { usage: e.usage ?? 0, quota: e.quota ?? 0 } : null;
  } catch { return null; }
}

/**
 * Safari on iOS deletes a site's script-written storage after 7 days without use unless
 * the app was added to the home screen: only then is the data safe for a long round.
 */
export function iosEvictionRisk() {
  const ua = navigator.userAgent || "";
  const ios = /iPhone|iPad|iPod/.test(ua) || (/Macintosh/.test(ua) && navigator.maxTouchPoints > 1);
  const standalone = window.navigator.standalone === true ||
    window.matchMedia?.("(display-mode: standalone)").matches;
  return ios && !standalone;
}
