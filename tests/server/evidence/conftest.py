"""Fixtures for the evidence tests: a blob store in a temp dir and images made to order.

Everything here is pure: no app, no database. Images are generated, never checked in, so
each test states exactly what its input is.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import struct
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageDraw
from PIL.TiffImagePlugin import IFDRational

from server.evidence.filestore import FilesystemBlobStore


@pytest.fixture
def store(tmp_path: Path) -> FilesystemBlobStore:
    return FilesystemBlobStore(tmp_path / "blobs", max_size=8 * 1024 * 1024)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def sha256():
    return sha


def stored_files(root: Path) -> list[Path]:
    """Every regular file under a store root (directories don't count as 'stored')."""
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def files_in():
    return stored_files


def quadrant_image(width: int = 300, height: int = 200) -> Image.Image:
    """An image whose orientation is unambiguous: four differently coloured quadrants."""
    img = Image.new("RGB", (width, height), (255, 0, 0))  # top-left red
    draw = ImageDraw.Draw(img)
    draw.rectangle((width // 2, 0, width, height // 2), fill=(0, 255, 0))  # top-right green
    draw.rectangle((0, height // 2, width // 2, height), fill=(0, 0, 255))  # bottom-left blue
    draw.rectangle((width // 2, height // 2, width, height), fill=(255, 255, 0))  # yellow
    return img


def phone_exif(*, orientation: int | None = None, gps: tuple | None = None,
               taken: str | None = "2026:11:22 09:30:05", offset: str | None = "+08:00",
               make: str | None = "Xiaomi", model: str | None = "23049RAD8C") -> Image.Exif:
    """EXIF as a phone writes it. `gps` is (lat_ref, (d, m, s), lon_ref, (d, m, s))."""
    exif = Image.Exif()
    if make is not None:
        exif[ExifTags.Base.Make] = make
    if model is not None:
        exif[ExifTags.Base.Model] = model
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    if taken is not None:
        sub[ExifTags.Base.DateTimeOriginal] = taken
    if offset is not None:
        sub[ExifTags.Base.OffsetTimeOriginal] = offset
    if gps is not None:
        lat_ref, lat, lon_ref, lon = gps
        info = exif.get_ifd(ExifTags.IFD.GPSInfo)
        info[ExifTags.GPS.GPSLatitudeRef] = lat_ref
        info[ExifTags.GPS.GPSLatitude] = tuple(_rational(v) for v in lat)
        info[ExifTags.GPS.GPSLongitudeRef] = lon_ref
        info[ExifTags.GPS.GPSLongitude] = tuple(_rational(v) for v in lon)
    return exif


def _rational(value) -> IFDRational:
    if isinstance(value, tuple):
        return IFDRational(*value)
    return IFDRational(round(value * 1000), 1000)


def encode(img: Image.Image, fmt: str = "JPEG", **params) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **params)
    return out.getvalue()


def noisy_photo(width: int, height: int) -> Image.Image:
    """Something photo-like enough that JPEG does not shrink it to nothing."""
    base = quadrant_image(width, height)
    grain = Image.merge("RGB", [Image.effect_noise((width, height), 40)] * 3)
    return Image.blend(base, grain, 0.2)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that *declares* a size: signature, IHDR, an empty IDAT and IEND.

    This is how a decompression bomb looks on the wire: a few dozen bytes that promise
    billions of pixels.
    """

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b""))
            + chunk(b"IEND", b""))


def jpeg_segments(data: bytes) -> list[int]:
    """The marker bytes of a JPEG's segments up to the start of scan (SOS).

    Lets a test say exactly which metadata segments an output carries: APP1 (0xE1) is
    EXIF/XMP, APP2 (0xE2) ICC, COM (0xFE) a comment.
    """
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    markers = []
    pos = 2
    while pos < len(data):
        assert data[pos] == 0xFF, f"bad marker at {pos}"
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:  # SOS: entropy-coded data follows
            break
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        pos += 2 + length
    return markers


def wide_gamut_icc() -> bytes:
    """An ICC v2 RGB display profile with Display P3's primaries and a 2.2 gamma.

    Pillow can only make sRGB, Lab and XYZ profiles, and a phone's own profile may not be
    checked in, so this builds the smallest matrix/TRC profile littlecms accepts: a
    header, then description, white point, three colorants and three tone curves.
    """

    def s15(value: float) -> bytes:
        return struct.pack(">i", round(value * 65536))

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ " + bytes(4) + s15(x) + s15(y) + s15(z)

    text = b"Wide gamut test (P3 primaries, gamma 2.2)\x00"
    desc = (b"desc" + bytes(4) + struct.pack(">I", len(text)) + text
            + bytes(4) + bytes(4) + bytes(2) + bytes(1) + bytes(67))
    curve = b"curv" + bytes(4) + struct.pack(">IH", 1, 0x0233) + bytes(2)  # u8.8 2.2
    tags = [(b"desc", desc), (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
            (b"rXYZ", xyz(0.5151, 0.2412, -0.0011)), (b"gXYZ", xyz(0.2920, 0.6922, 0.0419)),
            (b"bXYZ", xyz(0.1571, 0.0666, 0.7841)),
            (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for signature, data in tags:
        data += bytes(-len(data) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = (struct.pack(">I", size) + bytes(4) + struct.pack(">I", 0x02100000)
              + b"mntrRGB XYZ " + bytes(12) + b"acsp" + bytes(24) + struct.pack(">I", 0)
              + s15(0.9642) + s15(1.0) + s15(0.8249) + bytes(48))
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


@pytest.fixture
def images():
    """The image helpers above, as one namespace for tests."""

    class Images:
        quadrant = staticmethod(quadrant_image)
        exif = staticmethod(phone_exif)
        encode = staticmethod(encode)
        noisy = staticmethod(noisy_photo)
        png_header_only = staticmethod(png_header_only)
        segments = staticmethod(jpeg_segments)
        wide_gamut_icc = staticmethod(wide_gamut_icc)

    return Images


@pytest.fixture(scope="session")
def photo_12mp() -> bytes:
    """A 4000×3000 JPEG as a phone held upright writes it (EXIF orientation 6)."""
    return encode(noisy_photo(4000, 3000), quality=85,
                  exif=phone_exif(orientation=6, gps=("N", (30, 16, 36.12), "E",
                                                      (120, 9, 28.44))))


@pytest.fixture(scope="session")
def photo() -> bytes:
    """A smaller photo, still above the display size, with orientation 6."""
    return encode(noisy_photo(2400, 1800), quality=85, exif=phone_exif(orientation=6))


@pytest.fixture
def pdftoppm() -> str:
    path = shutil.which("pdftoppm")
    if path is None:
        pytest.skip("pdftoppm (Debian poppler-utils) is not installed; "
                    "run .ci/system-deps.sh as root")
    return path


@pytest.fixture
def cjk_font() -> Path:
    from server.evidence.errors import LabelError
    from server.evidence.labels import find_cjk_font

    try:
        return find_cjk_font()
    except LabelError:
        pytest.skip("no CJK TrueType font (Debian fonts-wqy-microhei) is installed; "
                    "run .ci/system-deps.sh as root")
