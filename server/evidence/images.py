"""The photo pipeline: uploaded bytes in; validated metadata and clean copies out.

`process(data)` is pure (no app, no database, no filesystem) and does all the decoding an
upload needs, so the caller runs it *before* opening a database write transaction.

What it guarantees:

- Only JPEG, PNG and WebP get through, judged by the bytes (magic numbers) and again by
  Pillow's own identification, never by the client's Content-Type: `unsupported_media_type`.
- Images that are empty, zero-sized, truncated, corrupt or larger than a phone makes
  (`MAX_PIXELS`) are refused before they can cost much memory: `invalid_image`.
- The capture time, device and GPS position are read from EXIF (`exif`) for the database,
  where reviewers see them; the served copies carry none of it.
- The display copy (long edge `DISPLAY_EDGE`) and thumbnail (`THUMB_EDGE`) are upright
  (EXIF orientation applied), sRGB, baseline JPEG, re-encoded from pixels with no EXIF,
  ICC, XMP or comment segment, so nothing a client smuggled into the upload (a script in
  a comment, a ZIP after the end marker) is ever served.

Speed: a 12-megapixel JPEG is decoded with libjpeg's DCT scaling (Pillow's draft mode) at
the smallest power-of-two reduction that still covers the display size, which costs less
than a full decode; `bench/photo_ingest.py` measures it. It does not make the whole
pipeline cheaper than one full decode: the entropy decoding no scale can skip is about
70% of a full decode, and from the 1/2 draft (2000 px for a 12 MP photo; DCT scaling has
no step between 1/2 and 1/4) the area-averaging resize to 1600 px adds about 30% more.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass

from PIL import ExifTags, Image, ImageCms

from server.evidence.errors import ImageRejected
from server.evidence.exif import PhotoMetadata, read_metadata

# Phones produce 12–50 MP; the app compresses further before upload. A 50 MP image is
# 150 MB of RGB once decoded, which is the most one request should be allowed to cost.
MAX_PIXELS = 50_000_000
DISPLAY_EDGE = 1600
THUMB_EDGE = 320
JPEG_QUALITY = 82
DERIVED_MEDIA_TYPE = "image/jpeg"

# Pillow's limit is process-wide. Lower it (never raise it) so that Pillow's own
# decompression-bomb guard, which runs inside Image.open before any pixel is decoded,
# fires at our limit too; `process` also checks the size itself and turns Pillow's
# warning into a refusal, so correctness does not depend on this line alone.
if Image.MAX_IMAGE_PIXELS is None or Image.MAX_IMAGE_PIXELS > MAX_PIXELS:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS

# Pillow format name -> media type. MPO is how Pillow names the JPEGs with a
# multi-picture extension that many phone cameras write.
_MEDIA_TYPES = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png",
                "WEBP": "image/webp"}
_PILLOW_FORMATS = ("JPEG", "PNG", "WEBP")

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TRANSPOSED_ORIENTATIONS = {5, 6, 7, 8}
_ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SRGB = ImageCms.createProfile("sRGB")
_ICC_MODES = ("RGB", "CMYK", "L")  # what a JPEG decodes to and littlecms converts from


@dataclass(frozen=True)
class ProcessedImage:
    """The outcome of `process`: what to record and what to store beside the original."""

    media_type: str  # of the original upload
    width: int  # of the original, upright
    height: int
    display: bytes  # DERIVED_MEDIA_TYPE
    display_size: tuple[int, int]
    thumb: bytes  # DERIVED_MEDIA_TYPE
    thumb_size: tuple[int, int]
    metadata: PhotoMetadata


def sniff_media_type(data: bytes) -> str | None:
    """The media type the leading bytes announce, if it is one we accept."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == _PNG_SIGNATURE:
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def process(data: bytes) -> ProcessedImage:
    """Validate an uploaded image and make its served copies; raise `ImageRejected`."""
    if not data:
        raise ImageRejected("invalid_image", "The image is empty (0 bytes).")
    media_type = sniff_media_type(data)
    if media_type is None:
        raise ImageRejected("unsupported_media_type",
                            "Only JPEG, PNG and WebP images are accepted.")
    # Pillow warns (rather than fails) between its limit and twice that. The filter is
    # process-wide and not thread-safe, so the same limit is also checked explicitly in
    # `_check_identity`; this turns Pillow's own, earlier check into a refusal as well.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        decoded = _decode(data, media_type)
    with decoded.image as img:
        metadata = read_metadata(img.getexif())
        # Shrink before turning upright: rotating the display copy moves 40% fewer pixels.
        display = _turn_upright(_display_copy(img), decoded.orientation)
        thumb = _shrink(display, THUMB_EDGE)
        width, height = decoded.stored_size
        if decoded.orientation in _TRANSPOSED_ORIENTATIONS:
            width, height = height, width
        return ProcessedImage(
            media_type=media_type,
            width=width,
            height=height,
            display=_encode(display),
            display_size=display.size,
            thumb=_encode(thumb),
            thumb_size=thumb.size,
            metadata=metadata,
        )


# -- decoding --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Decoded:
    image: Image.Image  # loaded, possibly at a draft reduction
    stored_size: tuple[int, int]  # as stored in the file, before draft and orientation
    orientation: int  # EXIF 1..8


def _decode(data: bytes, media_type: str) -> _Decoded:
    """Open, check and fully decode (at reduced scale for large JPEGs); refuse what fails.

    Pillow reports hostile input with many exception types (OSError for truncation,
    SyntaxError from plugins, ValueError, struct.error, DecompressionBomb…), so every
    failure inside this function is a refusal, never a 500.
    """
    try:
        with Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS) as probe:
            _check_identity(probe, media_type)
            probe.verify()  # structural checks (PNG chunk CRCs) without decoding pixels
        img = Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS)
        try:
            stored_size = img.size
            if img.format in ("JPEG", "MPO"):
                _draft_for_display(img)
            img.load()  # raises on truncation: LOAD_TRUNCATED_IMAGES stays False
        except BaseException:
            img.close()
            raise
    except (ImageRejected, MemoryError):
        raise  # out of memory below our pixel limit is the server's trouble, not the image's
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected("invalid_image",
                            f"The image has more than {MAX_PIXELS} pixels.") from exc
    except Image.UnidentifiedImageError as exc:
        raise ImageRejected("invalid_image",
                            f"The bytes start like {media_type} but are not a readable "
                            "image.") from exc
    except Exception as exc:
        raise ImageRejected("invalid_image",
                            f"The {media_type} image cannot be decoded: {exc}") from exc
    return _Decoded(image=img, stored_size=stored_size, orientation=_orientation(img))


def _check_identity(img: Image.Image, media_type: str) -> None:
    if _MEDIA_TYPES.get(img.format) != media_type:
        raise ImageRejected("unsupported_media_type",
                            f"The bytes start like {media_type} but decode as {img.format}.")
    width, height = img.size
    if width <= 0 or height <= 0:
        raise ImageRejected("invalid_image", f"The image is {width}×{height} pixels.")
    if width * height > MAX_PIXELS:
        raise ImageRejected("invalid_image",
                            f"The image is {width}×{height} pixels; at most {MAX_PIXELS} "
                            "pixels are accepted.")


def _draft_for_display(img: Image.Image) -> None:
    """Ask libjpeg to decode at 1/2, 1/4 or 1/8 scale while still covering DISPLAY_EDGE.

    Pillow keeps the largest reduction that leaves *both* sides at least the requested
    size, so request the display size with the image's own aspect ratio.
    """
    width, height = img.size
    long_edge = max(width, height)
    if long_edge <= DISPLAY_EDGE:
        return
    scale = DISPLAY_EDGE / long_edge
    img.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))


def _orientation(img: Image.Image) -> int:
    try:
        value = int(img.getexif().get(ExifTags.Base.Orientation, 1))
    except Exception:  # a corrupt EXIF block must not sink a good photo
        return 1
    return value if 1 <= value <= 8 else 1


# -- pixels ----------------------------------------------------------------------------


def _turn_upright(img: Image.Image, orientation: int) -> Image.Image:
    """Apply an EXIF orientation (1–8) to the pixels.

    The same table as `ImageOps.exif_transpose`, applied to the already-reduced copy with
    the orientation read from the original: the reduced copy no longer carries EXIF.
    """
    method = _ORIENTATION_TRANSPOSE.get(orientation)
    return img if method is None else img.transpose(method)


def _display_copy(img: Image.Image) -> Image.Image:
    """The decoded image as sRGB with its long edge at most DISPLAY_EDGE.

    A colour profile is applied *after* shrinking: an ICC transform costs more per pixel
    than the resize, and the 1/2 draft of a 12 MP photo has 3 MP where the display copy
    has 1.9 MP. Resizing in the camera's encoded RGB instead of in sRGB changes nothing
    visible; both are gamma-encoded.
    """
    if img.mode in _ICC_MODES:
        source = _foreign_profile(img)
        if source is not None:
            converted = _profile_to_srgb(_shrink(img, DISPLAY_EDGE), source)
            if converted is not None:
                return converted
    return _shrink(_to_rgb(img), DISPLAY_EDGE)


def _to_rgb(img: Image.Image) -> Image.Image:
    """Any decoded mode as 8-bit RGB, ignoring a colour profile (see `_display_copy`)."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        img = img.convert("I").point(lambda value: value / 256).convert("L")
    has_alpha = img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info
    if has_alpha:
        # Signatures are transparent PNGs; flatten onto paper white, not JPEG black.
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img if img.mode == "RGB" else img.convert("RGB")


def _foreign_profile(img: Image.Image) -> ImageCms.ImageCmsProfile | None:
    """The embedded colour profile to convert from, unless it is sRGB already or broken.

    Phones tag photos Display P3; stripping that profile without converting would dull
    the colours reviewers judge rust and scorch marks by. A broken profile is ignored.
    """
    icc = img.info.get("icc_profile")
    if not icc:
        return None
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(source).lower().replace(" ", ""):
            return None
    except Exception:
        return None
    return source


def _profile_to_srgb(img: Image.Image,
                     source: ImageCms.ImageCmsProfile) -> Image.Image | None:
    try:
        return ImageCms.profileToProfile(img, source, _SRGB, outputMode="RGB")
    except Exception:  # a profile that parses but does not fit the pixels: ignored
        return None


def _shrink(img: Image.Image, edge: int) -> Image.Image:
    """Downscale so the long edge is at most `edge`; never upscale.

    The resize of the display copy is the costliest step after decoding, so the filters
    are picked per reduction: a 12 MP JPEG arrives here already halved by libjpeg's DCT
    scaling, leaving a mild reduction (about 1.25×), for which area averaging (Pillow's
    BOX, OpenCV's INTER_AREA) is free of ringing and aliasing and twice as fast as Lanczos.
    Larger reductions (the thumbnail's 5×) first average whole blocks of pixels (`reduce`,
    by the largest whole factor: `reducing_gap=1.0`) and resample only what is left with
    bicubic; from a 1600 px display copy to 320 px that is an exact 5×5 area average with
    nothing left over, a quarter of the cost of a 2× block average followed by bicubic.
    """
    width, height = img.size
    long_edge = max(width, height)
    if long_edge <= edge:
        return img
    scale = edge / long_edge
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if scale >= 0.5:
        return img.resize(size, Image.Resampling.BOX)
    return img.resize(size, Image.Resampling.BICUBIC, reducing_gap=1.0)


def _encode(img: Image.Image) -> bytes:
    """Baseline JPEG with no metadata segments at all.

    Pillow copies `info` (including a source JPEG comment and XMP) from image to image and
    writes some of it back on save, so the info is emptied rather than trusted.
    """
    img.info = {}
    out = io.BytesIO()
    img.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()
