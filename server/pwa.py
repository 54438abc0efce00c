"""Serving the field app (PWA): the app shell, its versioned assets and the service worker.

- `/app/` (and any `/app/...` page, and the QR tag URL `/s/<code>.<sig>`) answer the shell
  page, so a tag scanned with the phone's own camera opens the app on that site.
- `/app/v/<version>/<path>` serves the shell's files. The version is a hash of all of
  them, so these URLs never change content and are cached for a year (immutable).
- `/sw.js` is the service worker, stamped with the version and the precache list; it lives
  at the root so its scope covers both `/app/` and `/s/`. Never cached by HTTP, so a new
  deployment is seen on the next check.

Text assets are gzipped once per file version and kept in memory: the first load on a
2G/3G link is what the 250 KB budget is about.

The app's files come from static/pwa/ unless `XUNCHA_PWA_DIR` names another folder (a
deployment serving a separately built copy; the update test serves a copy it edits).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import threading

from flask import Blueprint, Response, abort, current_app, redirect, request

bp = Blueprint("pwa", __name__)

PWA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       "static", "pwa")
APP_PREFIX = "/app"
# Files of the shell: everything the app needs offline. Build inputs are left out.
_SHELL_DIRS = ("js", "vendor", "icons", "dist")
# The build's bundle of js/ (+ vendor/): served instead of the modules while it is fresh.
_BUNDLE = "dist/app.js"
_SHELL_FILES = ("app.css", "index.html", "manifest.webmanifest", "sw.js")
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
}
# Loaded on demand (dynamic import), not preloaded on every start.
_LAZY_MODULES = frozenset({"vendor/jsqr.js"})
_COMPRESSIBLE = (".js", ".mjs", ".css", ".html", ".svg", ".json", ".webmanifest")
_IMMUTABLE = "public, max-age=31536000, immutable"
# Scripts only from our origin (no CDN, no inline script); images may be blob: (photos
# held in IndexedDB) or data: (signature previews).
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; "
        "worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'self'; "
        "frame-ancestors 'none'")


class _Shell:
    """The shell's file list and version, recomputed only when a file changes."""

    def __init__(self, root: str):
        self.root = root
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self.version = ""
        self.files: list[str] = []
        self.bundled = False
        self._gz: dict[tuple[str, float], bytes] = {}

    def _walk(self) -> list[tuple[str, float, int]]:
        out = []
        for name in _SHELL_FILES:
            path = os.path.join(self.root, name)
            if os.path.isfile(path):
                st = os.stat(path)
                out.append((name, st.st_mtime, st.st_size))
        for folder in _SHELL_DIRS:
            base = os.path.join(self.root, folder)
            for dirpath, dirnames, filenames in os.walk(base):
                dirnames.sort()
                for filename in sorted(filenames):
                    if filename.startswith("."):
                        continue
                    path = os.path.join(dirpath, filename)
                    st = os.stat(path)
                    rel = os.path.relpath(path, self.root).replace(os.sep, "/")
                    out.append((rel, st.st_mtime, st.st_size))
        return out

    def refresh(self) -> None:
        listing = self._walk()
        stamp = tuple(listing)
        with self._lock:
            if stamp == self._stamp:
                return
            digest = hashlib.sha256()
            for rel, _mtime, _size in listing:
                digest.update(rel.encode() + b"\0")
                with open(os.path.join(self.root, rel), "rb") as fh:
                    digest.update(hashlib.sha256(fh.read()).digest())
            self.version = digest.hexdigest()[:12]
            self.files = [rel for rel, _m, _s in listing]
            self.bundled = _bundle_is_fresh(listing)
            self._stamp = stamp

    def asset_url(self, rel: str) -> str:
        return f"{APP_PREFIX}/v/{self.version}/{rel}"

    def read(self, rel: str) -> bytes:
        with open(os.path.join(self.root, rel), "rb") as fh:
            return fh.read()

    def gzipped(self, key: str, data: bytes) -> bytes:
        cache_key = (key, hashlib.sha256(data).hexdigest())
        with self._lock:
            hit = self._gz.get(cache_key)
        if hit is None:
            hit = gzip.compress(data, compresslevel=9, mtime=0)
            with self._lock:
                if len(self._gz) > 512:
                    self._gz.clear()
                self._gz[cache_key] = hit
        return hit

    @property
    def entry(self) -> str:
        return _BUNDLE if self.bundled else "js/app.js"

    def active(self) -> list[str]:
        """The files this version runs on: the bundle, or the modules it was built from."""
        skip = ("js/", "vendor/") if self.bundled else ("dist/",)
        return [rel for rel in self.files if not rel.startswith(skip)]

    def preload_links(self) -> str:
        """Every module of the app's import graph, so the browser fetches them at once
        instead of discovering them one import level at a time. The QR decoder is left
        out: it is imported only when a scan needs it."""
        if self.bundled:
            modules = [_BUNDLE]
        else:
            modules = [rel for rel in self.files if rel.endswith(".js")
                       and rel.startswith(("js/", "vendor/")) and rel not in _LAZY_MODULES]
        return "\n".join(f'<link rel="modulepreload" href="{self.asset_url(rel)}">'
                         for rel in modules)

    def precache(self) -> list[str]:
        """What the service worker stores at install: the shell page and every asset."""
        assets = [self.asset_url(rel) for rel in self.active()
                  if rel not in ("index.html", "sw.js", "manifest.webmanifest")]
        return [f"{APP_PREFIX}/", f"{APP_PREFIX}/manifest.webmanifest", *assets]


def _bundle_is_fresh(listing) -> bool:
    """The bundle exists and no module it is made of changed after it was built."""
    mtimes = {rel: mtime for rel, mtime, _size in listing}
    if _BUNDLE not in mtimes:
        return False
    sources = [m for rel, m in mtimes.items() if rel.startswith(("js/", "vendor/"))]
    return not sources or mtimes[_BUNDLE] >= max(sources)


def shell() -> _Shell:
    """This app's shell (one per app and folder), refreshed if a file changed."""
    root = current_app.config.get("PWA_DIR") or PWA_DIR
    shells = current_app.extensions.setdefault("xuncha_pwa", {})
    sh = shells.get(root)
    if sh is None:
        sh = shells.setdefault(root, _Shell(root))
    sh.refresh()
    return sh


def _send(data: bytes, content_type: str, cache_control: str, *, compressible: bool,
          key: str, sh: _Shell) -> Response:
    headers = {"Cache-Control": cache_control, "X-Content-Type-Options": "nosniff",
               "Vary": "Accept-Encoding"}
    etag = hashlib.sha256(data).hexdigest()[:20]
    if compressible and "gzip" in request.headers.get("Accept-Encoding", ""):
        data = sh.gzipped(key, data)
        headers["Content-Encoding"] = "gzip"
        etag += "-gz"
    response = Response(data, content_type=content_type, headers=headers)
    response.set_etag(etag)
    return response.make_conditional(request)


def _shell_page() -> Response:
    sh = shell()
    if not any(rel.startswith("vendor/") for rel in sh.files):
        # The npm libraries are bundled by the build; without them the app cannot start.
        return Response("巡查 field app is not built: run `make pwa` (npm ci && npm run build "
                        "in static/pwa).\n", status=503, content_type="text/plain; charset=utf-8")
    html = sh.read("index.html").decode("utf-8")
    html = html.replace("{{ASSETS}}", f"{APP_PREFIX}/v/{sh.version}")
    html = html.replace("{{VERSION}}", sh.version)
    html = html.replace("{{PRELOAD}}", sh.preload_links())
    html = html.replace("{{ENTRY}}", sh.asset_url(sh.entry))
    response = _send(html.encode("utf-8"), _TYPES[".html"], "no-cache", compressible=True,
                     key="index.html", sh=sh)
    response.headers["Content-Security-Policy"] = _CSP
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@bp.get("/")
def root():
    return redirect(f"{APP_PREFIX}/", code=302)


@bp.get(APP_PREFIX)
def app_no_slash():
    return redirect(f"{APP_PREFIX}/", code=301)


@bp.get(f"{APP_PREFIX}/")
def app_shell():
    return _shell_page()


@bp.get("/s/<string:tag>")
def site_tag(tag):
    """The URL in a site's QR tag: the shell, which resolves the tag (offline too)."""
    return _shell_page()


@bp.get(f"{APP_PREFIX}/manifest.webmanifest")
def manifest():
    sh = shell()
    doc = json.loads(sh.read("manifest.webmanifest"))
    for icon in doc.get("icons", []):
        icon["src"] = sh.asset_url(icon["src"])
    data = json.dumps(doc, ensure_ascii=False).encode("utf-8")
    return _send(data, _TYPES[".webmanifest"], "no-cache", compressible=True,
                 key="manifest.webmanifest", sh=sh)


@bp.get(f"{APP_PREFIX}/v/<string:version>/<path:rel>")
def asset(version, rel):
    sh = shell()
    # An old version's URL is not served with new bytes: the immutable cache would keep
    # the mismatch forever. The old service worker still holds its own copy.
    if version != sh.version or rel not in sh.files or rel in ("index.html", "sw.js"):
        abort(404)
    ext = os.path.splitext(rel)[1]
    return _send(sh.read(rel), _TYPES.get(ext, "application/octet-stream"), _IMMUTABLE,
                 compressible=ext in _COMPRESSIBLE, key=rel, sh=sh)


@bp.get("/sw.js")
def service_worker():
    sh = shell()
    source = sh.read("sw.js").decode("utf-8")
    source = source.replace('"__VERSION__"', json.dumps(sh.version))
    source = source.replace("__PRECACHE__", json.dumps(sh.precache()))
    response = _send(source.encode("utf-8"), _TYPES[".js"], "no-cache", compressible=True,
                     key="sw.js", sh=sh)
    response.headers["Service-Worker-Allowed"] = "/"
    return response
