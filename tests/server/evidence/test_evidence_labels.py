"""Label sheets: every QR scans back, Chinese really renders, nothing overflows a label."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageChops
from reportlab.lib.units import mm

from server.evidence import labels, qr
from server.evidence.errors import LabelError
from server.evidence.labels import Label, label_sheet_pdf
from server.sites import codes

SECRET = "label-test-secret"
BASE = "https://xuncha.example.gov.cn"
DPI = 200

NAMES = [
    "张记川味饭店",
    "城南街道幸福里社区第三网格九小场所联合检查点（东区B栋102室）",
    "Lucky Star KTV 幸运星歌厅",
    "老李家常菜，烧烤。",
    "桃源镇王家庄村3组15号自建房（经营性）",
    "液化石油气供应站",
    "一" * 200,  # the longest name the database holds
]
VILLAGES = ["桃源镇王家庄村", "城南街道幸福里社区居民委员会第三网格党支部活动中心旁边", ""]


def make_labels(count: int) -> list[Label]:
    made = []
    for i in range(count):
        code = codes.make_code(f"label-{i}")
        made.append(Label(site_name=NAMES[i % len(NAMES)], site_code=code,
                          village=VILLAGES[i % len(VILLAGES)],
                          payload=qr.payload_url(BASE, code, SECRET)))
    return made


def render(pdf: bytes, tmp_path: Path, pdftoppm: str, dpi: int = DPI,
           crop: tuple[int, int, int, int] | None = None) -> list[Image.Image]:
    """Rasterise every page (or the pixel box `crop` = x, y, w, h of each) in grey.

    Without antialiasing, as a laser printer puts toner on paper (and twice as fast).
    """
    source = tmp_path / "sheet.pdf"
    source.write_bytes(pdf)
    area = [arg for flag, value in zip(("-x", "-y", "-W", "-H"), crop or (), strict=False)
            for arg in (flag, str(value))]
    subprocess.run([pdftoppm, "-r", str(dpi), "-gray", "-aa", "no", "-aaVector", "no",
                    "-png", *area, str(source),
                    str(tmp_path / "page")], check=True, timeout=120)
    pages = []
    for path in sorted(tmp_path.glob("page-*.png")):
        with Image.open(path) as page:
            pages.append(page.copy())
    return pages


def px(points: float, dpi: int = DPI) -> int:
    return round(points / 72 * dpi)


def label_box(slot: int, dpi: int = DPI) -> tuple[int, int, int, int]:
    """A label's pixel box on a rendered page (slot 0..9, row by row)."""
    row, column = divmod(slot, labels.COLUMNS)
    left = labels.LEFT_MARGIN + column * labels.COLUMN_PITCH
    top = labels.TOP_MARGIN + row * labels.ROW_PITCH
    return (px(left, dpi), px(top, dpi), px(left + labels.LABEL_WIDTH, dpi),
            px(top + labels.LABEL_HEIGHT, dpi))


def has_ink(img: Image.Image) -> bool:
    return img.convert("L").getextrema()[0] < 128


# -- proof it scans --------------------------------------------------------------------


def test_every_qr_on_a_generated_sheet_decodes_to_its_payload(tmp_path, pdftoppm, cjk_font):
    sheet = make_labels(23)  # three pages, the last one partly filled
    pages = render(label_sheet_pdf(sheet), tmp_path, pdftoppm)
    assert len(pages) == 3
    decoded = []
    for page in pages:
        found = zxingcpp.read_barcodes(page, formats=zxingcpp.BarcodeFormat.QRCode)
        decoded += [barcode.text for barcode in found]
    assert Counter(decoded) == Counter(label.payload for label in sheet)
    for text in decoded:
        assert qr.verify(*qr.parse_payload(text), SECRET)


def test_a_tampered_signature_on_a_printed_tag_is_detected(tmp_path, pdftoppm, cjk_font):
    code = "7KQ2M9XD"
    genuine = qr.payload_url(BASE, code, SECRET)
    sig = genuine.rsplit(".", 1)[1]
    forged = genuine[: -len(sig)] + ("B" if sig[0] != "B" else "C") + sig[1:]
    sheet = [Label("张记川味饭店", code, "王家庄村", genuine),
             Label("张记川味饭店", code, "王家庄村", forged)]
    (page,) = render(label_sheet_pdf(sheet), tmp_path, pdftoppm)
    verdicts = {}
    for slot in (0, 1):
        (barcode,) = zxingcpp.read_barcodes(page.crop(label_box(slot)))
        verdicts[barcode.text] = qr.verify(*qr.parse_payload(barcode.text), SECRET)
    assert verdicts == {genuine: True, forged: False}


def test_qr_modules_are_big_enough_for_arms_length():
    payload = qr.payload_url("https://xuncha.some-county.gov.cn", "7KQ2M9XD", SECRET)
    modules = len(qr.qr_matrix(payload)) + 2 * qr.QUIET_ZONE
    module_mm = labels.QR_BOX / modules / mm
    assert module_mm >= 1.0
    assert (labels.QR_BOX - 2 * qr.QUIET_ZONE * labels.QR_BOX / modules) / mm >= 38


# -- Chinese renders (not tofu) ----------------------------------------------------------


def name_area(character: str, tmp_path: Path, pdftoppm: str) -> Image.Image:
    """The rendered top-left of the name on a one-label sheet whose name is `character`."""
    label = Label(character, "7KQ2M9XD", "", qr.payload_url(BASE, "7KQ2M9XD", SECRET))
    folder = tmp_path / f"u{ord(character):x}-{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    left, top, _, _ = label_box(0)
    x = left + px(labels.TEXT_LEFT)
    y = top + px(labels.LABEL_HEIGHT - labels.TEXT_TOP + 11)  # below the header
    (area,) = render(label_sheet_pdf([label]), folder, pdftoppm,
                     crop=(x, y, px(20), px(20)))
    return area


def test_chinese_glyphs_render_as_distinct_shapes_not_boxes(tmp_path, pdftoppm, cjk_font):
    """A font without the glyphs draws every character as the same box (tofu).

    Each character is rendered alone as a label's name, at the same spot of the same
    page, so equal shapes give equal pixels (checked: the same character twice), and the
    name areas of different characters must each have ink and all differ.
    """
    characters = "巡查燃气消防隐患"
    crops = {ch: name_area(ch, tmp_path, pdftoppm) for ch in characters}
    again = name_area(characters[0], tmp_path, pdftoppm)
    assert ImageChops.difference(crops[characters[0]], again).getbbox() is None
    assert all(has_ink(crop) for crop in crops.values())
    for i, first in enumerate(characters):
        for second in characters[i + 1:]:
            difference = ImageChops.difference(crops[first], crops[second])
            assert difference.getbbox() is not None, (first, second)


def test_the_pdf_embeds_the_cjk_font_and_carries_the_text(tmp_path, cjk_font):
    pdffonts, pdftotext = shutil.which("pdffonts"), shutil.which("pdftotext")
    if not (pdffonts and pdftotext):
        pytest.skip("pdffonts/pdftotext (Debian poppler-utils) are not installed; "
                    "run .ci/system-deps.sh as root")
    sheet = make_labels(3)
    source = tmp_path / "sheet.pdf"
    source.write_bytes(label_sheet_pdf(sheet))
    fonts = subprocess.run([pdffonts, source], capture_output=True, text=True,
                           check=True).stdout
    truetype = [row for row in fonts.splitlines() if "TrueType" in row]
    assert truetype, fonts
    for row in truetype:  # embedded, subset, with a ToUnicode map
        assert row.split()[-5:-2] == ["yes", "yes", "yes"], fonts
    if cjk_font.name.startswith("wqy-"):
        assert any("WenQuanYi" in row for row in truetype), fonts
    text = subprocess.run([pdftotext, "-layout", source, "-"], capture_output=True,
                          text=True, check=True).stdout
    squashed = "".join(text.split())
    assert "张记川味饭店" in squashed
    assert "桃源镇王家庄村" in squashed
    for label in sheet:
        assert label.site_code in squashed


def test_without_a_cjk_font_generation_fails_loudly(monkeypatch, tmp_path):
    monkeypatch.setattr(labels, "KNOWN_CJK_FONTS", (str(tmp_path / "none.ttc"),))
    with pytest.raises(LabelError) as caught:
        label_sheet_pdf(make_labels(1))
    assert "fonts-wqy-microhei" in caught.value.message
    with pytest.raises(LabelError):
        label_sheet_pdf(make_labels(1), font_path=tmp_path / "missing.ttf")


def test_a_font_without_chinese_is_refused(tmp_path):
    latin = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not latin.exists():
        pytest.skip("DejaVuSans (Debian fonts-dejavu-core) is not installed")
    with pytest.raises(LabelError) as caught:
        label_sheet_pdf(make_labels(1), font_path=latin)
    assert "巡" in caught.value.details["missing"]


def test_a_font_file_that_is_not_a_font_is_refused(tmp_path):
    bogus = tmp_path / "bogus.ttf"
    bogus.write_bytes(b"<html>not a font</html>")
    with pytest.raises(LabelError):
        label_sheet_pdf(make_labels(1), font_path=bogus)


def test_a_character_the_font_lacks_fails_instead_of_printing_a_box(cjk_font):
    rare = "\U00020bb7"  # 𠮷, a surname character outside the font's coverage
    sheet = [Label(f"{rare}家饭店", "7KQ2M9XD", "王家庄村", "https://x.cn/s/7KQ2M9XD.AAAAAAAAAA")]
    with pytest.raises(LabelError) as caught:
        label_sheet_pdf(sheet)
    assert caught.value.details == {"site_code": "7KQ2M9XD", "missing": rare}


# -- layout ----------------------------------------------------------------------------


def test_a4_pages_of_ten_labels(tmp_path, pdftoppm, cjk_font):
    pages = render(label_sheet_pdf(make_labels(11)), tmp_path, pdftoppm, dpi=50)
    assert len(pages) == 2
    for page in pages:
        width, height = page.size  # A4 is 595.276 × 841.89 pt
        assert abs(width - 595.276 / 72 * 50) <= 1 and abs(height - 841.89 / 72 * 50) <= 1


@pytest.fixture(scope="module")
def full_page(tmp_path_factory) -> Image.Image:
    """One rendered page of ten labels with every kind of long name and village."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm (Debian poppler-utils) is not installed; "
                    "run .ci/system-deps.sh as root")
    try:
        labels.find_cjk_font()
    except LabelError:
        pytest.skip("no CJK TrueType font (Debian fonts-wqy-microhei) is installed")
    (page,) = render(label_sheet_pdf(make_labels(10)), tmp_path_factory.mktemp("page"),
                     pdftoppm)
    return page


def test_nothing_is_printed_outside_the_labels(full_page):
    """Long names and villages shrink, wrap or ellipsise; none reaches a margin or gutter.

    Every pixel outside the ten label boxes (shrunk by a 1 mm tolerance for antialiasing)
    must be paper-white.
    """
    page = full_page
    mask = Image.new("L", page.size, 255)
    inset = px(1 * mm)
    for slot in range(10):
        left, top, right, bottom = label_box(slot)
        mask.paste(0, (left + inset, top + inset, right - inset, bottom - inset))
    outside = ImageChops.lighter(page.convert("L"), ImageChops.invert(mask))
    assert outside.getextrema()[0] >= 250, "ink outside the labels"


def test_each_label_keeps_its_text_beside_its_qr(full_page):
    """The text column starts right of the QR box: no name runs into the code."""
    page = full_page
    for slot in range(10):
        left, top, _, bottom = label_box(slot)
        qr_right = left + px(labels.QR_INSET + labels.QR_BOX)
        gap = page.crop((qr_right - px(labels.QR_BOX * 4 / 41) + 2, top,
                         left + px(labels.TEXT_LEFT) - 2, bottom))
        assert not has_ink(gap), f"label {slot}: ink between the QR and the text"


def test_empty_sheets_and_labels_missing_parts_are_refused(cjk_font):
    with pytest.raises(ValueError):
        label_sheet_pdf([])
    payload = qr.payload_url(BASE, "7KQ2M9XD", SECRET)
    for broken in (Label("", "7KQ2M9XD", "村", payload), Label("店", "", "村", payload),
                   Label("店", "7KQ2M9XD", "村", ""), Label("店", "编号", "村", payload)):
        with pytest.raises(ValueError):
            label_sheet_pdf([broken])


def test_the_pdf_is_deterministic(cjk_font):
    sheet = make_labels(4)
    assert label_sheet_pdf(sheet) == label_sheet_pdf(sheet)


# -- fitting text (pure) ---------------------------------------------------------------


@pytest.fixture
def font(cjk_font) -> str:
    return labels._register_font(str(cjk_font))


def widths_ok(lines: list[str], font: str, size: float, width: float) -> bool:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return all(stringWidth(line, font, size) <= width for line in lines)


@pytest.mark.parametrize("name", NAMES + ["A" * 80, "a b c " * 40, "，。" * 30, "（" * 30])
def test_fit_text_never_overflows(font, name):
    width, height = 40 * mm, 20 * mm
    size, lines = labels.fit_text(name, font, width, height, 16, 9)
    assert 9 <= size <= 16
    assert widths_ok(lines, font, size, width)
    assert size + (len(lines) - 1) * size * labels._LEADING <= height


def test_fit_text_prefers_the_largest_size_that_fits(font):
    assert labels.fit_text("张记饭店", font, 40 * mm, 20 * mm, 16, 9) == (16, ["张记饭店"])


def test_fit_text_ellipsises_only_as_a_last_resort(font):
    size, lines = labels.fit_text("一" * 200, font, 40 * mm, 20 * mm, 16, 9)
    assert size == 9
    assert lines[-1].endswith("…")
    assert all("…" not in line for line in lines[:-1])


def test_wrap_keeps_latin_words_whole_and_follows_chinese_line_breaking_rules(font):
    from reportlab.pdfbase.pdfmetrics import stringWidth

    per_char = stringWidth("一", font, 10)
    width = per_char * 5 + 0.1
    assert labels.wrap("一二三四五，六", font, 10, width) == ["一二三四", "五，六"]
    assert labels.wrap("一二三四（五六", font, 10, width) == ["一二三四", "（五六"]
    assert labels.wrap("一二三 KTVX", font, 10, per_char * 4) == ["一二三", "KTVX"]
    lines = labels.wrap("ABCDEFGHIJKLMNOPQRSTUVWXYZ", font, 10, width)  # a word too long
    assert len(lines) > 1 and "".join(lines) == "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    assert labels.wrap("", font, 10, width) == [""]
