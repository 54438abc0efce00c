"""Site codes, the signed payload a site's QR tag carries, and the tag's QR image.

A tag encodes `<base url>/s/<site code>.<sig>` (API contract, Labels): any phone camera
opens it as a link, and the field app reads the code and signature from it offline. The
signature is a short HMAC of the code under a server secret, so an inspection whose
`scan` carries a valid signature proves the inspector scanned a tag we printed, not a code
typed from a list; it is short because every character makes the QR denser and harder
to read from a weathered tag on a restaurant door.

Codes and signatures use only upper-case letters and digits (QR alphanumeric mode is
denser than byte mode for them, and people can read them aloud).
"""

from __future__ import annotations

import base64
import functools
import hmac
import io
import re
from urllib.parse import urlsplit

import qrcode
import qrcode.constants
import qrcode.util
from PIL import Image
from qrcode.util import QRData

from server.evidence.errors import InvalidPayload

SIG_LENGTH = 10  # base32 characters: 50 bits of HMAC-SHA256
MAX_PAYLOAD_LENGTH = 120  # beyond this the QR gets too dense for a label at arm's length

# Site codes are made by `server.sites.codes` (7 symbols of Crockford's base32, the last
# a check symbol) and `Site.code` is the one code a tag carries. The shape accepted here
# is the column's (16 characters; codes from an imported register may use hyphens),
# never a dot, which separates the signature.
_CODE = r"[0-9A-Z](?:[0-9A-Z-]{0,14}[0-9A-Z])?"
_SIG = rf"[A-Z2-7]{{{SIG_LENGTH}}}"
_CODE_RE = re.compile(_CODE)
_TAIL_RE = re.compile(rf"(?P<code>{_CODE})\.(?P<sig>{_SIG})")
_ALPHANUMERIC = re.compile(r"[0-9A-Z $%*+\-./:]+")  # the QR alphanumeric character set
_DOMAIN = b"xuncha/site-qr/v1\x00"  # keeps these MACs apart from other uses of the secret

# Error correction Q restores up to 25% of a damaged symbol: tags live outdoors, on
# greasy kitchen doors, and get scratched.
_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_Q
QUIET_ZONE = 4  # modules, as the QR standard requires
# A fixed data mask. `qrcode` otherwise renders all eight masks in pure Python to score
# them (most of the cost of a label); any of the eight gives a valid symbol that every
# decoder reads, the search only evens out dark and light areas a little.
MASK_PATTERN = 2


def is_site_code(text: object) -> bool:
    return isinstance(text, str) and _CODE_RE.fullmatch(text) is not None


def sign(code: str, secret: str | bytes) -> str:
    """The short signature printed after the code on a site's tag."""
    _check_code(code)
    digest = hmac.new(_key(secret), _DOMAIN + code.encode("ascii"), "sha256").digest()
    return base64.b32encode(digest).decode("ascii")[:SIG_LENGTH]


def verify(code: str, sig: str, secret: str | bytes) -> bool:
    """Whether `sig` is the signature of `code`; constant-time, False for any bad input."""
    if not is_site_code(code) or not isinstance(sig, str) or len(sig) != SIG_LENGTH:
        return False
    return hmac.compare_digest(sign(code, secret), sig)


def payload_url(base_url: str, code: str, secret: str | bytes) -> str:
    """What a site's QR tag encodes: `<base url>/s/<code>.<sig>`."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query \
            or parts.fragment:
        raise ValueError(f"base URL must be http(s)://host[/path], not {base_url!r}")
    url = f"{base_url.rstrip('/')}/s/{code}.{sign(code, secret)}"
    if len(url) > MAX_PAYLOAD_LENGTH:
        raise ValueError(f"payload {url!r} is longer than {MAX_PAYLOAD_LENGTH} characters")
    return url


def parse_payload(text: str) -> tuple[str, str]:
    """`(code, sig)` from what a scanner read; raises `InvalidPayload`.

    Tolerant of the base URL (another host, a path prefix, http or https: tags printed
    before a move still scan) and of surrounding whitespace; strict about the rest, so
    `…/s/<code>.<sig>` must be the whole path and nothing may follow it. A bare
    `<code>.<sig>` (typed from the tag) is accepted too. Does not check the signature:
    call `verify`.
    """
    if not isinstance(text, str) or len(text) > 2 * MAX_PAYLOAD_LENGTH:
        raise InvalidPayload("This is not a site tag.")
    text = text.strip()
    tail = text
    if "://" in text:
        parts = urlsplit(text)
        prefix, sep, tail = parts.path.rpartition("/s/")
        if (parts.scheme.lower() not in ("http", "https") or not parts.netloc or not sep
                or parts.query or parts.fragment):
            raise InvalidPayload("This is not a site tag.", details={"text": text})
    match = _TAIL_RE.fullmatch(tail)
    if match is None:
        raise InvalidPayload("This is not a site tag.", details={"text": text})
    return match["code"], match["sig"]


def qr_matrix(payload: str) -> list[list[bool]]:
    """The QR symbol's modules, dark = True, without the quiet zone.

    Labels draw these as vector squares (crisp on any printer); `qr_png` rasterises them.
    """
    if not payload or len(payload) > MAX_PAYLOAD_LENGTH:
        raise ValueError(f"QR payload must be 1..{MAX_PAYLOAD_LENGTH} characters")
    segments = tuple((segment.encode("utf-8"), mode) for segment, mode in _segments(payload))
    code = qrcode.QRCode(version=_version_for(_shape(segments)),
                         error_correction=_ERROR_CORRECTION, border=0,
                         mask_pattern=MASK_PATTERN)
    for data, mode in segments:
        code.add_data(QRData(data, mode=mode))
    code.make(fit=False)
    return [list(row) for row in code.get_matrix()]


def _shape(segments: tuple[tuple[bytes, int], ...]) -> tuple[tuple[int, int], ...]:
    """What decides a symbol's version: each segment's mode and length, not its content."""
    return tuple((mode, len(data)) for data, mode in segments)


@functools.lru_cache(maxsize=64)
def _version_for(shape: tuple[tuple[int, int], ...]) -> int:
    """The smallest QR version holding segments of this shape, found once per shape.

    Every tag of a deployment has the same shape (one base URL, 7-character codes,
    10-character signatures), so a sheet of 500 labels searches for its version once
    instead of 500 times (the search re-encodes the data in pure Python each time).
    """
    probe = qrcode.QRCode(error_correction=_ERROR_CORRECTION, border=0)
    for mode, length in shape:
        filler = b"0" if mode == qrcode.util.MODE_ALPHA_NUM else b"a"
        probe.add_data(QRData(filler * length, mode=mode))
    probe.best_fit()
    return probe.version


def qr_png(payload: str, *, module_px: int = 10) -> bytes:
    """A PNG of the QR code for `payload`, with its quiet zone, `module_px` per module."""
    if not 1 <= module_px <= 40:
        raise ValueError("module_px must be 1..40")
    matrix = qr_matrix(payload)
    side = len(matrix) + 2 * QUIET_ZONE
    symbol = Image.new("1", (side, side), 1)
    symbol.putdata([
        0 if QUIET_ZONE <= y < side - QUIET_ZONE and QUIET_ZONE <= x < side - QUIET_ZONE
        and matrix[y - QUIET_ZONE][x - QUIET_ZONE] else 1
        for y in range(side) for x in range(side)
    ])
    out = io.BytesIO()
    symbol.resize((side * module_px, side * module_px), Image.Resampling.NEAREST).save(
        out, "PNG", optimize=True)
    return out.getvalue()


def _segments(payload: str) -> list[tuple[str, int]]:
    """Split a payload into QR encoding segments: the URL in byte mode, the tag's
    `<code>.<sig>` tail in alphanumeric mode (5.5 bits a character instead of 8).

    `qrcode`'s own segmentation misses this split for some payloads and goes up a
    version (33 → 37 modules), which makes the modules on a label smaller.
    """
    head, sep, tail = payload.rpartition("/")
    if sep and tail and _ALPHANUMERIC.fullmatch(tail):
        return [(head + sep, qrcode.util.MODE_8BIT_BYTE), (tail, qrcode.util.MODE_ALPHA_NUM)]
    return [(payload, qrcode.util.MODE_8BIT_BYTE)]


def _check_code(code: str) -> None:
    if not is_site_code(code):
        raise ValueError(f"not a site code: {code!r}")


def _key(secret: str | bytes) -> bytes:
    key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    if not key:
        raise ValueError("the QR signing secret is empty")
    return key
