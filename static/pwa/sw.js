/* xuncha service worker: precache the versioned app shell and serve it cache-first.
 *
 * No business logic lives here. API answers are never cached by the worker: the app keeps
 * its data in IndexedDB, where it knows what is fresh. The server stamps VERSION (a hash of
 * the shell's files) and PRECACHE into this file, so any change to the shell makes a new
 * worker, which waits until the user accepts the update (a half-filled form is never
 * swapped out from under them).
 */
const VERSION = "__VERSION__";
const PRECACHE = __PRECACHE__;
const PREFIX = "xuncha-shell-";
const CACHE = PREFIX + VERSION;
const SHELL = "/app/";

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // Versioned assets are immutable: the HTTP cache may answer them (no second download
    // on first load). The shell page and manifest are revalidated.
    const requests = PRECACHE.map((url) =>
      new Request(url, { cache: url.includes("/v/") ? "default" : "no-cache" }));
    await cache.addAll(requests);
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const keys = await caches.keys();
    await Promise.all(keys.filter((k) => k.startsWith(PREFIX) && k !== CACHE)
      .map((k) => caches.delete(k)));
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "skip-waiting") self.skipWaiting();
  if (event.data && event.data.type === "version" && event.ports[0]) {
    event.ports[0].postMessage({ version: VERSION });
  }
});

function isShellNavigation(request, url) {
  return request.mode === "navigate" &&
    (url.pathname === SHELL || url.pathname.startsWith("/app/") || url.pathname.startsWith("/s/"));
}

async function fromCache(request) {
  const cache = await caches.open(CACHE);
  return cache.match(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (isShellNavigation(request, url)) {
    // Every app page and every QR tag URL is the same shell; the app routes inside it.
    event.respondWith((async () => (await fromCache(SHELL)) || fetch(request))());
    return;
  }
  if (url.pathname.startsWith("/app/")) {
    event.respondWith((async () => (await fromCache(request)) || fetch(request))());
  }
  // Anything else (the API, the staff console) goes to the network untouched.
});
