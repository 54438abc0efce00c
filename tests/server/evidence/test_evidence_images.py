"""The photo pipeline: what it accepts, what it refuses, and what it serves."""

from __future__ import annotations

import io
import warnings
import zipfile
from datetime import datetime, timedelta, timezone

import pytest
from PIL import ExifTags, Image, ImageCms, ImageOps, JpegImagePlugin

from server.evidence.errors import ImageRejected
from server.evidence.exif import GPS, PhotoMetadata
from server.evidence.images import MAX_PIXELS, process, sniff_media_type

APP1, APP2, COM = 0xE1, 0xE2, 0xFE
METADATA_SEGMENTS = {APP1, APP2, 0xED, COM}  # EXIF/XMP, ICC, IPTC/Photoshop, comment


def rejected(data: bytes) -> ImageRejected:
    with pytest.raises(ImageRejected) as caught:
        process(data)
    return caught.value


def assert_clean_jpeg(data: bytes, images) -> None:
    """A served copy: a JPEG with no metadata segment of any kind."""
    segments = images.segments(data)
    assert not METADATA_SEGMENTS & set(segments), [hex(m) for m in segments]
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "JPEG"
        assert img.mode == "RGB"
        assert not img.getexif()
        assert "icc_profile" not in img.info
        assert "xmp" not in img.info
        assert "comment" not in img.info


# -- what is accepted ------------------------------------------------------------------


def test_a_12_megapixel_phone_photo_passes(photo_12mp, images):
    result = process(photo_12mp)
    assert result.media_type == "image/jpeg"
    assert (result.width, result.height) == (3000, 4000)  # upright: orientation 6
    assert result.display_size == (1200, 1600)
    assert result.thumb_size == (240, 320)
    assert result.metadata.gps is not None
    assert_clean_jpeg(result.display, images)
    assert_clean_jpeg(result.thumb, images)


def test_large_jpegs_are_decoded_in_draft_mode_at_half_scale(photo_12mp, monkeypatch):
    drafts = []
    real_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        result = real_draft(self, mode, size)
        drafts.append(result)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    process(photo_12mp)
    # libjpeg scaled the DCT by 1/2: 2000×1500 is decoded, not 4000×3000.
    assert drafts == [("RGB", (0, 0, 2000, 1500))]


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_are_accepted(images, fmt):
    data = images.encode(images.quadrant(640, 480), fmt)
    result = process(data)
    assert result.media_type == f"image/{fmt.lower()}"
    assert (result.width, result.height) == (640, 480)
    assert result.display_size == (640, 480)  # never upscaled
    assert result.thumb_size == (320, 240)
    assert_clean_jpeg(result.display, images)


def test_lossless_webp(images):
    assert process(images.encode(images.quadrant(), "WEBP", lossless=True)).width == 300


def test_a_phone_jpeg_with_a_multi_picture_extension_is_a_jpeg(images):
    first, second = images.quadrant(), images.quadrant(100, 80)
    data = images.encode(first, "MPO", save_all=True, append_images=[second])
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "MPO"  # what Pillow calls these
    assert process(data).media_type == "image/jpeg"


def test_a_transparent_signature_png_is_flattened_onto_white(images):
    signature = Image.new("RGBA", (400, 200), (0, 0, 0, 0))
    signature.paste((0, 0, 0, 255), (50, 90, 350, 110))  # one black stroke
    result = process(images.encode(signature, "PNG"))
    with Image.open(io.BytesIO(result.display)) as shown:
        assert shown.getpixel((10, 10)) >= (250, 250, 250)  # background: white, not black
        assert shown.getpixel((200, 100)) <= (5, 5, 5)


def test_a_palette_png_with_transparency(images):
    img = images.quadrant().convert("P")
    img.info["transparency"] = 0
    assert process(images.encode(img, "PNG", transparency=0)).display_size == (300, 200)


def test_a_16_bit_greyscale_png(images):
    img = Image.linear_gradient("L").resize((64, 256)).convert("I")  # dark top, light bottom
    img = img.point(lambda value: value * 256).convert("I;16")
    result = process(images.encode(img, "PNG"))
    with Image.open(io.BytesIO(result.display)) as shown:
        assert shown.mode == "RGB"
        top, bottom = shown.getpixel((32, 2))[0], shown.getpixel((32, 253))[0]
    assert top < 20 and bottom > 230  # scaled to 8 bits, not clipped to white


def test_a_cmyk_jpeg_becomes_rgb(images):
    data = images.encode(images.quadrant().convert("CMYK"), quality=95)
    with Image.open(io.BytesIO(process(data).display)) as shown:
        assert shown.mode == "RGB"
        red = shown.getpixel((10, 10))
    assert red[0] > 200 and red[1] < 60 and red[2] < 60


def test_an_icc_profile_is_applied_then_dropped(images):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    for profile in (srgb, b"not an ICC profile at all"):
        data = images.encode(images.quadrant(), icc_profile=profile)
        assert_clean_jpeg(process(data).display, images)


def test_a_wide_gamut_photo_is_converted_to_srgb_for_both_served_copies(images):
    # Bigger than the display copy, so the profile is applied after shrinking.
    colours = [(200, 100, 50), (60, 160, 90), (40, 80, 200), (230, 200, 60)]
    img = Image.new("RGB", (2400, 1600))
    for i, colour in enumerate(colours):
        left, top = (i % 2) * 1200, (i // 2) * 800
        img.paste(colour, (left, top, left + 1200, top + 800))
    profile = images.wide_gamut_icc()
    data = images.encode(img, quality=95, icc_profile=profile)
    with Image.open(io.BytesIO(data)) as original:
        assert original.info["icc_profile"] == profile
        reference = ImageCms.profileToProfile(
            original, ImageCms.ImageCmsProfile(io.BytesIO(profile)),
            ImageCms.createProfile("sRGB"), outputMode="RGB")  # at full size, then sampled
    result = process(data)
    assert result.display_size == (1600, 1067)
    for served in (result.display, result.thumb):
        assert_clean_jpeg(served, images)
        with Image.open(io.BytesIO(served)) as shown:
            w, h = shown.size
            for i, colour in enumerate(colours):
                x, y = (i % 2) * w // 2 + w // 4, (i // 2) * h // 2 + h // 4
                want = reference.getpixel(((i % 2) * 1200 + 600, (i // 2) * 800 + 400))
                got = shown.getpixel((x, y))
                assert max(abs(a - b) for a, b in zip(want, colour, strict=True)) > 20
                assert max(abs(a - b) for a, b in zip(got, want, strict=True)) <= 6, (i, got)


# -- orientation -----------------------------------------------------------------------


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied_as_pillow_does(images, orientation):
    img = images.quadrant(300, 200)
    data = images.encode(img, quality=95, exif=images.exif(orientation=orientation))
    result = process(data)
    with Image.open(io.BytesIO(data)) as original:
        expected = ImageOps.exif_transpose(original)  # the reference implementation
    assert (result.width, result.height) == expected.size
    with Image.open(io.BytesIO(result.display)) as shown:
        assert shown.size == expected.size
        w, h = expected.size
        for x, y in ((w // 4, h // 4), (3 * w // 4, h // 4), (w // 4, 3 * h // 4),
                     (3 * w // 4, 3 * h // 4)):
            got, want = shown.getpixel((x, y)), expected.getpixel((x, y))
            assert max(abs(a - b) for a, b in zip(got, want, strict=True)) < 40, (x, y)


# -- metadata: into the database, never into the served copies -------------------------


def test_capture_time_device_and_gps_are_extracted(images):
    exif = images.exif(gps=("N", (30, 16, 36.12), "E", (120, 9, 28.44)))
    data = images.encode(images.quadrant(), exif=exif, quality=90)
    meta = process(data).metadata
    assert meta.captured_at == datetime(2026, 11, 22, 9, 30, 5,
                                        tzinfo=timezone(timedelta(hours=8)))
    assert meta.device_make == "Xiaomi"
    assert meta.device_model == "23049RAD8C"
    assert meta.gps == GPS(lat=round(30 + 16 / 60 + 36.12 / 3600, 7),
                           lon=round(120 + 9 / 60 + 28.44 / 3600, 7))
    assert meta.to_dict() == {
        "captured_at": "2026-11-22T09:30:05+08:00",
        "device_make": "Xiaomi",
        "device_model": "23049RAD8C",
        "gps": {"lat": meta.gps.lat, "lon": meta.gps.lon},
    }


def test_metadata_is_not_in_the_served_copies(images):
    exif = images.exif(orientation=6, gps=("N", (30, 16, 36.12), "E", (120, 9, 28.44)))
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret location</x:xmpmeta>'
    data = images.encode(images.quadrant(), exif=exif, xmp=xmp, comment=b"Xiaomi",
                         quality=90)
    assert {APP1, COM} <= set(images.segments(data))  # the upload had them all
    result = process(data)
    for served in (result.display, result.thumb):
        assert_clean_jpeg(served, images)
        assert b"Xiaomi" not in served and b"23049RAD8C" not in served
        assert b"secret location" not in served


def test_southern_and_western_hemispheres(images):
    exif = images.exif(gps=("S", (33, 52, 4), "W", (151, 12, 36)))
    gps = process(images.encode(images.quadrant(), exif=exif)).metadata.gps
    assert gps.lat == pytest.approx(-33.867778, abs=1e-6)
    assert gps.lon == pytest.approx(-151.21, abs=1e-6)


@pytest.mark.parametrize("gps", [
    ("N", (0, 0, 0), "E", (0, 0, 0)),  # what a phone without a fix writes
    ("N", ((30, 0), (16, 1), (0, 1)), "E", (120, 9, 28)),  # a zero denominator
    ("N", (91, 0, 0), "E", (120, 0, 0)),  # off the globe
    ("N", (30, 16, 36), "E", (181, 0, 0)),
])
def test_implausible_gps_is_dropped_not_refused(images, gps):
    data = images.encode(images.quadrant(), exif=images.exif(gps=gps))
    assert process(data).metadata.gps is None


def test_missing_and_malformed_metadata(images):
    bare = process(images.encode(images.quadrant())).metadata
    assert bare == PhotoMetadata()
    odd = images.exif(taken="0000:00:00 00:00:00", offset="+99:00",
                      make="\x00\x00", model="Model\x00\x07 X\r\n" + "y" * 200)
    meta = process(images.encode(images.quadrant(), exif=odd)).metadata
    assert meta.captured_at is None
    assert meta.device_make is None
    assert meta.device_model == ("Model X" + "y" * 200)[:64]


def test_capture_time_without_offset_is_naive(images):
    data = images.encode(images.quadrant(), exif=images.exif(offset=None))
    assert process(data).metadata.captured_at == datetime(2026, 11, 22, 9, 30, 5)


# -- bad inputs: each refused with its answer ------------------------------------------


def test_zero_bytes():
    error = rejected(b"")
    assert (error.code, error.status) == ("invalid_image", 422)


@pytest.mark.parametrize("size", [(50_000, 50_000), (7100, 7100), (100_000, 600)])
def test_a_png_declaring_too_many_pixels_is_refused_before_decoding(images, size):
    error = rejected(images.png_header_only(*size))
    assert (error.code, error.status) == ("invalid_image", 422)
    assert "pixels" in error.message


def test_pillows_bomb_warning_is_a_refusal_not_a_warning(images, monkeypatch):
    # Let Pillow's own guard fire first, with its limit below ours: its warning must
    # come out as a refusal (and, under filterwarnings=error, not leak as a warning).
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # if it leaked, it would be silenced here...
        error = rejected(images.encode(images.quadrant(40, 30), "PNG"))
    assert error.code == "invalid_image"  # ...and this would not be a refusal


def test_the_pixel_limit_is_lowered_for_the_whole_process():
    assert Image.MAX_IMAGE_PIXELS <= MAX_PIXELS


@pytest.mark.parametrize("size", [(0, 0), (0, 10), (10, 0)])
def test_a_png_with_a_zero_dimension(images, size):
    assert rejected(images.png_header_only(*size)).code == "invalid_image"


def test_a_jpeg_with_a_zero_dimension(images):
    data = bytearray(images.encode(images.quadrant(16, 16)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 7] = b"\x00\x00"  # height 0
    assert rejected(bytes(data)).code == "invalid_image"


def _gif(images) -> bytes:
    return images.encode(images.quadrant(), "GIF")


def _tiff(images) -> bytes:
    return images.encode(images.quadrant(), "TIFF")


def _bmp(images) -> bytes:
    return images.encode(images.quadrant(), "BMP")


OTHER_FORMATS = {
    "gif": _gif,
    "tiff": _tiff,
    "bmp": _bmp,
    "svg": lambda _: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "svg with xml prolog": lambda _: b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
    "pdf": lambda _: b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
    "html": lambda _: b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
    "html with leading space": lambda _: b"  <html><img src=x onerror=alert(1)>",
    "zip": lambda _: _zip(),
    "text": lambda _: "安全巡查".encode(),
}


@pytest.mark.parametrize("kind", OTHER_FORMATS)
def test_other_formats_are_unsupported_whatever_the_header_said(images, kind):
    # The client said image/jpeg; the pipeline never even sees that claim.
    error = rejected(OTHER_FORMATS[kind](images))
    assert (error.code, error.status) == ("unsupported_media_type", 415)


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
    return out.getvalue()


@pytest.mark.parametrize("appended", [
    b"<html><script>alert('xss')</script></html>",
    _zip(),
])
def test_a_jpeg_with_html_or_a_zip_appended_is_served_without_it(images, appended):
    data = images.encode(images.noisy(800, 600), quality=85) + appended
    result = process(data)
    for served in (result.display, result.thumb):
        assert appended not in served
        assert b"<script>" not in served and b"PK\x03\x04" not in served
        assert served.endswith(b"\xff\xd9")  # ends where the JPEG ends
        assert_clean_jpeg(served, images)


def test_a_script_in_a_jpeg_comment_is_not_served(images):
    data = images.encode(images.quadrant(), comment=b"<script>alert(1)</script>")
    result = process(data)
    assert b"<script>" not in result.display
    assert COM not in images.segments(result.display)


@pytest.mark.parametrize("keep", [0.98, 0.7, 0.3])
def test_a_truncated_jpeg_is_refused_and_the_whole_one_accepted(images, keep):
    whole = images.encode(images.noisy(2000, 1500), quality=85)
    error = rejected(whole[:int(len(whole) * keep)])
    assert (error.code, error.status) == ("invalid_image", 422)
    assert process(whole).width == 2000


def test_a_jpeg_cut_just_before_its_end_marker(images):
    whole = images.encode(images.noisy(640, 480), quality=85)
    assert rejected(whole[:-2]).code == "invalid_image"


def test_a_truncated_png_and_a_png_with_a_bad_checksum(images):
    whole = images.encode(images.noisy(400, 300), "PNG")
    assert rejected(whole[: len(whole) // 2]).code == "invalid_image"
    corrupt = bytearray(whole)
    corrupt[60] ^= 0xFF  # inside the first IDAT chunk
    assert rejected(bytes(corrupt)).code == "invalid_image"


def test_a_truncated_webp(images):
    whole = images.encode(images.noisy(400, 300), "WEBP")
    assert rejected(whole[: len(whole) // 2]).code == "invalid_image"


@pytest.mark.parametrize("data", [
    b"\xff\xd8\xff",  # a JPEG that stops after its magic
    b"\xff\xd8\xff\xe0" + b"\x00" * 100,
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
    b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 50,
])
def test_magic_without_an_image_behind_it(data):
    assert rejected(data).code == "invalid_image"


def test_refusals_carry_the_contract_shape():
    error = rejected(b"GIF89a")
    assert error.to_dict() == {"code": "unsupported_media_type", "message": error.message,
                               "details": {}}
    with pytest.raises(ValueError):
        ImageRejected("teapot", "not a code of ours")


def test_sniffing():
    assert sniff_media_type(b"\xff\xd8\xff\xe1") == "image/jpeg"
    assert sniff_media_type(b"\x89PNG\r\n\x1a\n") == "image/png"
    assert sniff_media_type(b"RIFF1234WEBPVP8L") == "image/webp"
    assert sniff_media_type(b"RIFF1234WAVEfmt ") is None
    assert sniff_media_type(b"GIF89a") is None


def test_exif_tags_used_exist():
    # Guard against a Pillow upgrade renaming the enums the pipeline relies on.
    assert ExifTags.Base.DateTimeOriginal == 0x9003
    assert ExifTags.IFD.GPSInfo == 0x8825
