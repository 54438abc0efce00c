"""Field app in Chromium: first-load bytes, offline start time, on-phone photo compression.

Prints measured figures next to the issue's targets; asserts nothing. Runs a real server
(`xuncha run`, own instance folder) and the system Chromium, with and without 4× CPU
throttling (a mid-range Android phone is several times slower than a dev machine).

    python -m bench pwa_load
"""

from __future__ import annotations

import base64
import io
import os
import random
import statistics
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

from tests.e2e.phone import wait_until

TARGET_FIRST_LOAD_KB = 250
TARGET_OFFLINE_START_MS = 1000
TARGET_COMPRESS_MS = 1500
TARGET_PHOTO_KB = 300


def _camera_jpeg(seed: int, busy: bool = True) -> bytes:
    """A 12-megapixel camera JPEG. `busy`: noise-like texture everywhere (worst case: a
    gravel yard, a cluttered kitchen); otherwise a typical scene of smooth surfaces, edges
    and light sensor noise."""
    rng = random.Random(seed)
    if not busy:
        img = Image.linear_gradient("L").resize((4000, 3000)).convert("RGB")
        draw = ImageDraw.Draw(img)
        for _ in range(120):
            x, y = rng.randrange(4000), rng.randrange(3000)
            draw.rectangle((x, y, x + rng.randrange(100, 900), y + rng.randrange(100, 700)),
                           fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)),
                           outline=(0, 0, 0), width=6)
        noise = Image.effect_noise((4000, 3000), 12).convert("RGB")
        img = Image.blend(img, noise, 0.08)
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=92)
        return buf.getvalue()
    small = Image.new("RGB", (250, 188))
    small.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256))
                   for _ in range(250 * 188)])
    img = small.resize((4000, 3000), Image.BICUBIC)
    draw = ImageDraw.Draw(img)
    for _ in range(600):
        x, y = rng.randrange(4000), rng.randrange(3000)
        draw.line((x, y, x + rng.randrange(-300, 300), y + rng.randrange(-300, 300)),
                  fill=(rng.randrange(256),) * 3, width=rng.randrange(1, 6))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=92)
    return buf.getvalue()


def _throttle(page, rate: float) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})


def _first_load(browser, server) -> dict:
    context = browser.new_context(base_url=server.url, viewport={"width": 360, "height": 740},
                                  bypass_csp=True)
    sizes: list[tuple[str, int]] = []

    def finished(request):
        s = request.sizes()
        sizes.append((request.url, s["responseBodySize"] + s["responseHeadersSize"]))

    context.on("requestfinished", finished)
    page = context.new_page()
    page.goto("/app/")
    page.wait_for_selector("html[data-ready='1']")
    # The shell is precached by now (async predicates need wait_until, see there).
    wait_until(page, "async () => Boolean((await navigator.serviceWorker.ready).active)")
    page.wait_for_timeout(500)
    total = sum(n for _, n in sizes)
    context.close()
    return {"requests": len(sizes), "bytes": total}


def _login(page):
    page.goto("/app/")
    page.wait_for_selector("input[name=username]")
    page.fill("input[name=username]", "inspector1")
    page.fill("input[name=password]", "xuncha-demo")
    page.click("form button[type=submit]")
    page.wait_for_selector("[data-test=sync-counts]")
    page.wait_for_function("() => !document.querySelector('.syncbar').dataset.running"
                           " && document.querySelector('.syncbar').dataset.lastSync")
    wait_until(page, "() => Boolean(navigator.serviceWorker.controller)")


def _offline_starts(context, rate: float, runs: int = 5) -> list[float]:
    context.set_offline(True)
    times = []
    for _ in range(runs):
        page = context.new_page()
        _throttle(page, rate)
        page.goto("/app/")
        page.wait_for_selector("html[data-ready='1']")
        page.wait_for_selector("[data-test=sync-counts]")
        times.append(page.evaluate(
            "() => [performance.getEntriesByName('xuncha-ready')[0].startTime,"
            " performance.getEntriesByName('xuncha-modules')[0].startTime,"
            " performance.getEntriesByType('navigation')[0].responseEnd]"))
        page.close()
    context.set_offline(False)
    return times


def _compressions(page, rate: float, photos: list[bytes]) -> list[dict]:
    _throttle(page, rate)
    version = page.get_attribute("meta[name=xuncha-version]", "content")
    out = []
    for data in photos:
        out.append(page.evaluate("""async ([b64, version]) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const file = new File([bytes], 'IMG_0001.jpg', { type: 'image/jpeg' });
            const { compressPhoto } = await import(`/app/v/${version}/js/photos.js`);
            const t0 = performance.now();
            const photo = await compressPhoto(file);
            return { ms: performance.now() - t0, bytes: photo.size, width: photo.width,
                     height: photo.height, input: bytes.length };
        }""", [base64.b64encode(data).decode(), version]))
    return out


def main(argv: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer

    if not os.path.exists(CHROMIUM):
        print(f"skipped: {CHROMIUM} not found (bash .ci/system-deps.sh installs it)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        server = LiveServer(Path(tmp))
        server.start()
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
                first = _first_load(browser, server)
                context = browser.new_context(base_url=server.url, bypass_csp=True,
                                              viewport={"width": 360, "height": 740})
                page = context.new_page()
                _login(page)
                starts = {rate: _offline_starts(context, rate) for rate in (1, 4)}
                page.goto("/app/")
                page.wait_for_selector("html[data-ready='1']")
                comp = {}
                for busy in (False, True):
                    photos = [_camera_jpeg(seed, busy) for seed in (1, 2, 3)]
                    for rate in (1, 4):
                        comp[("busy" if busy else "typical", rate)] = _compressions(
                            page, rate, photos)
                browser.close()
        finally:
            server.stop()

    load = os.getloadavg()[0]
    print(f"machine load average {load:.1f} on {os.cpu_count()} CPUs (timings scale with it)")
    print(f"{'figure':52} {'measured':>14} {'target':>10}")
    print(f"{'first load, bytes transferred (gzip, incl. SW precache)':52} "
          f"{first['bytes'] / 1024:>11.1f} KB {'≤ ' + str(TARGET_FIRST_LOAD_KB) + ' KB':>10}")
    print(f"{'  requests':52} {first['requests']:>14}")
    for rate, times in starts.items():
        label = f"offline start to usable, median of {len(times)} (CPU ×{rate})"
        print(f"{label:52} {statistics.median(t[0] for t in times):>11.0f} ms "
              f"{'≤ ' + str(TARGET_OFFLINE_START_MS) + ' ms':>10}")
        print(f"{'  of which: shell page from the service worker':52} "
              f"{statistics.median(t[2] for t in times):>11.0f} ms")
        print(f"{'  of which: until all modules are evaluated':52} "
              f"{statistics.median(t[1] for t in times):>11.0f} ms")
    for (scene, rate), runs in comp.items():
        ms = statistics.median(r["ms"] for r in runs)
        kb = max(r["bytes"] for r in runs) / 1024
        size_in = statistics.median(r["input"] for r in runs) / 1024 / 1024
        print(f"{f'compress 12 MP {scene} photo ({size_in:.1f} MB), CPU ×{rate}':52} "
              f"{ms:>11.0f} ms {'≤ ' + str(TARGET_COMPRESS_MS) + ' ms':>10}")
        shape = f"{runs[0]['width']}×{runs[0]['height']}"
        print(f"{'  largest output (' + shape + ' JPEG)':52} "
              f"{kb:>11.1f} KB {'≤ ' + str(TARGET_PHOTO_KB) + ' KB':>10}")


if __name__ == "__main__":
    main(sys.argv[1:])
