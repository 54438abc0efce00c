"""Serving the field app: shell, versioned assets, service worker, manifest, tag URLs."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest


@pytest.fixture
def shell_page(client):
    return client.get("/app/")


def _asset_prefix(html: str) -> str:
    return re.search(r'src="(/app/v/[0-9a-f]{12})/(?:js|dist)/app.js"', html).group(1)


def _entry(html: str) -> str:
    return re.search(r'<script type="module" src="/app/v/[0-9a-f]{12}/([^"]+)"', html).group(1)


def test_shell_page_is_html_never_cached_and_locked_down(shell_page):
    assert shell_page.status_code == 200
    assert shell_page.content_type == "text/html; charset=utf-8"
    assert shell_page.headers["Cache-Control"] == "no-cache"
    csp = shell_page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp
    html = shell_page.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert "{{" not in html  # every placeholder was filled


def test_versioned_assets_are_immutable_and_typed(client, shell_page):
    prefix = _asset_prefix(shell_page.get_data(as_text=True))
    js = client.get(f"{prefix}/js/app.js")
    assert js.status_code == 200
    assert js.content_type == "text/javascript; charset=utf-8"
    assert "immutable" in js.headers["Cache-Control"]
    assert js.headers["X-Content-Type-Options"] == "nosniff"
    css = client.get(f"{prefix}/app.css")
    assert css.content_type == "text/css; charset=utf-8"
    png = client.get(f"{prefix}/icons/icon-192.png")
    assert png.content_type == "image/png"
    assert png.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_assets_are_gzipped_when_the_phone_accepts_it(client, shell_page):
    prefix = _asset_prefix(shell_page.get_data(as_text=True))
    plain = client.get(f"{prefix}/js/i18n.js")
    zipped = client.get(f"{prefix}/js/i18n.js", headers={"Accept-Encoding": "gzip, br"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.data) == plain.data
    assert len(zipped.data) < len(plain.data) / 2


def test_old_or_unknown_versions_and_build_files_are_not_served(client, shell_page):
    prefix = _asset_prefix(shell_page.get_data(as_text=True))
    assert client.get("/app/v/000000000000/js/app.js").status_code == 404
    assert client.get(f"{prefix}/package.json").status_code == 404
    assert client.get(f"{prefix}/node_modules/idb/package.json").status_code == 404
    assert client.get(f"{prefix}/../server/pwa.py").status_code == 404


def test_etag_revalidation_answers_304(client, shell_page):
    again = client.get("/app/", headers={"If-None-Match": shell_page.headers["ETag"]})
    assert again.status_code == 304


def test_service_worker_is_stamped_with_version_and_precache_list(client, shell_page):
    prefix = _asset_prefix(shell_page.get_data(as_text=True))
    version = prefix.rsplit("/", 1)[-1]
    sw = client.get("/sw.js")
    assert sw.status_code == 200
    assert sw.content_type == "text/javascript; charset=utf-8"
    assert sw.headers["Cache-Control"] == "no-cache"
    source = sw.get_data(as_text=True)
    assert f'const VERSION = "{version}";' in source
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", source).group(1))
    assert "/app/" in precache
    entry = _entry(shell_page.get_data(as_text=True))
    assert f"{prefix}/{entry}" in precache
    assert f"{prefix}/app.css" in precache
    assert not any("/api/" in url for url in precache)
    for url in precache:  # everything it will cache at install exists
        assert client.get(url).status_code == 200, url


def test_manifest_points_at_versioned_icons(client):
    resp = client.get("/app/manifest.webmanifest")
    assert resp.content_type == "application/manifest+json"
    doc = resp.get_json(force=True)
    assert doc["lang"] == "zh-CN" and doc["display"] == "standalone"
    assert doc["scope"] == "/"
    sizes = {icon["sizes"] for icon in doc["icons"]}
    assert {"192x192", "512x512"} <= sizes
    assert any(icon["purpose"] == "maskable" for icon in doc["icons"])
    for icon in doc["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_qr_tag_url_answers_the_shell(client, shell_page):
    resp = client.get("/s/K7Q2MX4.ABCDEFGHIJ")
    assert resp.status_code == 200
    assert resp.get_data() == shell_page.get_data()


def test_root_and_bare_app_redirect_to_the_shell(client):
    assert client.get("/").headers["Location"].endswith("/app/")
    assert client.get("/app").headers["Location"].endswith("/app/")


def test_unbuilt_app_says_how_to_build_it(app, client, tmp_path, monkeypatch):
    from server.pwa import PWA_DIR

    bare = tmp_path / "pwa"
    (bare / "js").mkdir(parents=True)
    for name in ("index.html", "sw.js", "app.css", "manifest.webmanifest"):
        (bare / name).write_bytes((Path(PWA_DIR) / name).read_bytes())
    monkeypatch.setitem(app.config, "PWA_DIR", str(bare))
    resp = client.get("/app/")
    assert resp.status_code == 503
    assert "make pwa" in resp.get_data(as_text=True)


def test_a_changed_file_makes_a_new_version(app, client, tmp_path, monkeypatch):
    import shutil

    from server.pwa import PWA_DIR

    copy = tmp_path / "pwa"
    shutil.copytree(PWA_DIR, copy, ignore=shutil.ignore_patterns("node_modules", "dist"))
    monkeypatch.setitem(app.config, "PWA_DIR", str(copy))
    first = _asset_prefix(client.get("/app/").get_data(as_text=True))
    with open(copy / "js" / "ui.js", "a", encoding="utf-8") as fh:
        fh.write("\n// changed\n")
    second = _asset_prefix(client.get("/app/").get_data(as_text=True))
    assert first != second
    assert client.get(f"{first}/js/ui.js").status_code == 404
    assert client.get(f"{second}/js/ui.js").get_data(as_text=True).endswith("// changed\n")


def _sw_precache(client):
    source = client.get("/sw.js").get_data(as_text=True)
    return json.loads(re.search(r"const PRECACHE = (\[.*?\]);", source).group(1))


def test_the_bundle_is_served_only_while_fresh(app, client, tmp_path, monkeypatch):
    import os
    import shutil
    import time

    from server.pwa import PWA_DIR

    copy = tmp_path / "pwa"
    shutil.copytree(PWA_DIR, copy, ignore=shutil.ignore_patterns("node_modules", "dist"))
    monkeypatch.setitem(app.config, "PWA_DIR", str(copy))
    # No build: the modules themselves, all preloaded except the lazy QR decoder.
    html = client.get("/app/").get_data(as_text=True)
    assert _entry(html) == "js/app.js"
    assert 'rel="modulepreload"' in html and "vendor/jsqr.js" not in html
    assert any(url.endswith("/js/ui.js") for url in _sw_precache(client))

    (copy / "dist").mkdir()
    (copy / "dist" / "app.js").write_text("export {};\n")
    html = client.get("/app/").get_data(as_text=True)
    assert _entry(html) == "dist/app.js"
    precache = _sw_precache(client)
    assert any(url.endswith("/dist/app.js") for url in precache)
    assert not any("/js/" in url for url in precache)

    # A module edited after the build: the stale bundle steps aside.
    later = time.time() + 5
    os.utime(copy / "js" / "ui.js", (later, later))
    assert _entry(client.get("/app/").get_data(as_text=True)) == "js/app.js"


def test_every_ui_string_is_in_chinese_and_english():
    """Chinese first, English selectable: the two dictionaries hold the same keys, and
    every key a screen asks for by name is there."""
    app_dir = Path(__file__).resolve().parents[2] / "static" / "pwa" / "js"
    key = re.compile(r'"([a-zA-Z][\w.]*)":\s*"')
    zh, en = set(), set()
    # i18n.js, and the string tables it merges in (strings_*.js), each {zh: …, en: …}.
    for path in [app_dir / "i18n.js", *sorted(app_dir.glob("strings_*.js"))]:
        zh_part, en_part = path.read_text(encoding="utf-8").split("\n  en: {", 1)
        part_zh, part_en = set(key.findall(zh_part)), set(key.findall(en_part.split("\n};", 1)[0]))
        assert part_zh == part_en, {path.name: sorted(part_zh ^ part_en)}
        zh |= part_zh
        en |= part_en
    assert zh and zh == en, {"zh only": sorted(zh - en), "en only": sorted(en - zh)}
    # The vocabulary's terms (server/vocabulary.py) and the phone's aliases of them.
    from server.vocabulary import TERMS

    zh |= {f"{kind}.{code}" for kind, codes in TERMS.items() for code in codes}
    source = (app_dir / "i18n.js").read_text(encoding="utf-8")
    alias = source.split("const alias = {", 1)[1].split("};", 1)[0]
    zh |= set(re.findall(r'"?([\w.]+)"?:\s*"', alias))
    used = set()
    for path in [*app_dir.glob("*.js"), *app_dir.glob("views/*.js")]:
        used.update(re.findall(r'\bt\("([\w.]+)"', path.read_text(encoding="utf-8")))
    assert used and used <= zh, sorted(used - zh)
