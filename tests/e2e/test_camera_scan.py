"""Scanning with the camera: Chromium's fake capture device plays a video of a door tag."""

from __future__ import annotations

from PIL import Image

from tests.e2e.conftest import CHROMIUM_ARGS, PHONE
from tests.e2e.phone import login, pick_site, qr_file, tag_url


def _y4m(png, path, frames=20):
    """A Y4M video (what --use-file-for-fake-video-capture plays) of one still image."""
    img = Image.open(png).convert("RGB")
    side = 480
    frame = Image.new("RGB", (640, 480), (90, 90, 80))
    img.thumbnail((side - 40, side - 40))
    frame.paste(img, ((640 - img.width) // 2, (480 - img.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    half = (320, 240)
    planes = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with open(path, "wb") as fh:
        fh.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(frames):
            fh.write(b"FRAME\n" + planes)
    return path


def test_camera_reads_the_door_tag_and_opens_the_site(live_server, browser, chromium_path,
                                                      tmp_path):
    site = pick_site(live_server, "shop", "330502101")
    video = _y4m(qr_file(tmp_path, tag_url(live_server, site["code"])), tmp_path / "tag.y4m")
    camera = browser.browser_type.launch(
        executable_path=chromium_path, headless=True,
        args=[*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream",
              "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}"])
    try:
        context = camera.new_context(base_url=live_server.url, bypass_csp=True, **PHONE)
        context.grant_permissions(["camera"], origin=live_server.url)
        page = context.new_page()
        login(page, "inspector1")
        page.goto("/app/#/scan")
        page.get_by_role("button", name="打开相机扫码").click()
        page.wait_for_selector("[data-test=site-name]", timeout=30000)
        assert page.inner_text("[data-test=site-name]") == site["name"]
        # The camera is released once the tag is read.
        assert page.evaluate("() => document.querySelector('video') === null")
        context.close()
    finally:
        camera.close()
