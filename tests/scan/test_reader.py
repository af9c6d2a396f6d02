"""The reader, step by step and end to end, on the real printed form marked and photographed by program."""

from __future__ import annotations

import io
import random

import numpy as np
import pytest
from PIL import Image

from app.domain import formcode
from app.printing import qr
from app.scan import images, locate, marks
from app.scan.layout import sheet_layout
from app.scan.reader import READ, REFUSED, SKIPPED, read_files, read_image
from tests.helpers import paper
from tests.scan.conftest import (
    DPI,
    VALUES,
    check,
    grey,
    photographed_never_reads_a_wrong_value,
    scanned_reads_every_value,
)


@pytest.fixture(scope="module")
def sheet(printed):
    return paper.render_sheet(printed.pdf, 1, DPI)


# --- steps -------------------------------------------------------------------------------------------


def test_qr_code_names_enterprise_version_page_and_layout(printed, sheet):
    (found,) = locate.read_qr(grey(sheet))
    code = formcode.parse_form_code(found.text)
    assert code.version == formcode.SHEET_VERSION and code.page == 2
    assert code.enterprise_id == printed.enterprise.id and code.tax_code == "0100109106"
    assert code.layout == sheet_layout().layout_id
    # the QR code's corners are where the layout put it
    qx, qy, qs = sheet_layout().qr
    expected = np.array([locate.to_canon(qx, qy + qs), locate.to_canon(qx + qs, qy)]) * (DPI / locate.DPI)
    assert np.abs(found.corners[[0, 2]] - expected).max() < 3


def test_registration_marks_are_found_where_printed(sheet):
    image = grey(sheet.rotate(7, expand=True, fillcolor=(255, 255, 255)))
    (found,) = locate.read_qr(image)
    loc = locate.locate(image, found, sheet_layout())
    assert loc.marks_found == 4 and loc.qr_error_pt < 1.5
    page = locate.straighten(image, loc)
    assert page.image.size == (locate.CANON_W, locate.CANON_H)
    # a mark's centre in the straightened page is where the layout says, within half a millimetre
    for x, y in sheet_layout().marks:
        cx, cy = locate.to_canon(x, y)
        found_centre = locate.find_mark(page.image, (cx, cy), 5 / 25.4 * locate.DPI, 20)
        assert found_centre is not None and np.hypot(found_centre[0] - cx, found_centre[1] - cy) < 4


def test_homography_maps_four_points_exactly():
    src = np.array([[0, 0], [100, 0], [100, 200], [0, 200]], dtype=float)
    dst = np.array([[10, 5], [120, 12], [115, 230], [3, 210]], dtype=float)
    assert np.allclose(locate.apply(locate.homography(src, dst), src), dst)


def test_darkness_evens_out_shading():
    a = np.full((400, 400), 230, np.float32) * np.linspace(0.55, 1.0, 400)[None, :]
    a[190:210, 40:60] *= 0.2  # ink on the dark side
    a[190:210, 340:360] *= 0.2  # ink on the bright side
    d = locate.darkness(Image.fromarray(a.astype(np.uint8)))
    assert d[100, 20] < 0.08 and d[100, 380] < 0.08
    assert abs(d[200, 50] - d[200, 350]) < 0.08 and d[200, 50] > 0.6


def test_a_clean_sheet_reads_empty_and_asks_for_the_date_and_yes_no(sheet):
    page = read_image(grey(sheet))
    assert page.status == READ
    st = {f.field.name: f.status for f in page.fields}
    assert st["visit_date"] == marks.UNCERTAIN  # required, nothing marked
    assert st["workforce_total"] == marks.EMPTY and st["attitude"] == marks.EMPTY
    assert st["has_party"] == marks.UNCERTAIN  # neither "Có" nor "Chưa"
    assert st["difficulties"] == marks.TEXT


@pytest.mark.parametrize("seed", [1, 2])
def test_filled_sheet_scanned_straight_reads_every_value(sheet, seed):
    page = scanned_reads_every_value(sheet, seed)
    assert page.code is not None and not page.code.practice


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_filled_sheet_photographed_never_reads_a_wrong_value(sheet, seed, tmp_path):
    page = photographed_never_reads_a_wrong_value(sheet, seed, tmp_path)
    assert page.code is not None and not page.code.practice


def test_uncertain_marks_are_flagged_not_guessed(sheet):
    rng = random.Random(9)
    img = sheet.copy()
    pen = paper.Pen(img, DPI, rng)
    layout = sheet_layout()
    cols = layout.area("workforce_total").columns
    # two bubbles in one column
    pen.bubble(cols[4].x, cols[4].ys[3], "full")
    pen.bubble(cols[4].x, cols[4].ys[5], "full")
    # a digit written over a column whose bubble was forgotten
    wf = layout.area("workforce_women").columns
    pen.write(*wf[3].write, "4")
    pen.bubble(wf[4].x, wf[4].ys[2], "full")
    pen.write(*wf[4].write, "2")
    # a faint mark: a light dot in the bubble
    pw = layout.area("party_total").columns
    x, y = pen.px(pw[4].x, pw[4].ys[7])
    r = 3.6 * DPI / 72
    pen.draw.ellipse((x - r, y - r, x + r, y + r), fill=(190, 190, 215))
    # a date with a day of 31 in February
    dc = layout.area("next_visit_date").columns
    for col, d in zip(dc, "310226"):
        pen.bubble(col.x, col.ys[int(d) - col.lo], "full")
    # two attitudes ticked
    boxes = layout.area("attitude").boxes
    pen.box(boxes[0].x, boxes[0].y, "cross")
    pen.box(boxes[2].x, boxes[2].y, "cross")
    page = read_image(grey(img))
    for name in ("workforce_total", "workforce_women", "party_total", "next_visit_date", "attitude"):
        f = page.field(name)
        assert f.status == marks.UNCERTAIN and f.value is None and f.reason, name
    assert page.field("workforce_women").suggestion == 2
    assert "không có trong lịch" in page.field("next_visit_date").reason


def test_a_cut_corner_still_reads_with_three_marks(sheet):
    rng = random.Random(11)
    filled = paper.fill(sheet.copy(), DPI, VALUES, rng, corrections=0)
    h = filled.image.height
    corner = int(20 / 25.4 * DPI)  # a dog-ear: the bottom-left corner folded back, its mark hidden
    from PIL import ImageDraw

    ImageDraw.Draw(filled.image).polygon([(0, h - corner), (corner, h), (0, h)], fill=(120, 110, 100))
    page = read_image(grey(filled.image))
    assert page.status == READ and page.marks_found == 3
    assert "WRONG" not in check(page, filled.truth).values()


# --- files ----------------------------------------------------------------------------------------


def test_a_multipage_pdf_is_split_and_each_page_named(printed, tmp_path, sheet):
    pages = list(read_files([printed.pdf]))
    assert [p.status for p in pages] == [SKIPPED, READ, SKIPPED, READ]
    assert pages[1].code.enterprise_id == printed.enterprise.id
    assert pages[3].code.blank and pages[3].code.enterprise_id is None
    assert pages[1].where == "phieu.pdf, trang 2"
    # a scanner's PDF of images, and a folder of files
    scans = tmp_path / "may-quet"
    scans.mkdir()
    rgb = sheet.convert("RGB")
    rgb.save(scans / "b.pdf", "PDF", resolution=DPI, save_all=True, append_images=[rgb])
    rgb.save(scans / "a.png")
    (scans / "ghi-chu.txt").write_text("không phải ảnh")
    got = list(read_files([scans]))
    assert [(p.where, p.status) for p in got] == [
        ("a.png", READ),
        ("b.pdf, trang 1", READ),
        ("b.pdf, trang 2", READ),
    ]


def test_pages_that_cannot_be_read_are_refused_with_a_reason(printed, tmp_path, sheet):
    from reportlab.pdfgen.canvas import Canvas

    from app.printing.visit_form import VisitFormData, render_visit_forms

    old = tmp_path / "cu.pdf"
    render_visit_forms(old, [VisitFormData(printed.enterprise)])  # an F1 form
    (f1,) = list(read_files([old]))
    assert f1.status == REFUSED and "F1" in f1.reason

    other = tmp_path / "khac.pdf"
    c = Canvas(str(other))
    qr.draw(c, "https://example.com/khong-phai-phieu", 100, 600, 120)
    c.save()
    (p,) = list(read_files([other]))
    assert p.status == REFUSED and "không phải mã phiếu KhaoSat" in p.reason

    # a sheet printed with another layout (a question list that has changed since)
    code = formcode.sheet_code(printed.enterprise.id, "0100109106", 2, "ABCDEF")
    c = Canvas(str(tmp_path / "mau-khac.pdf"))
    qr.draw(c, code, 100, 600, 120)
    c.save()
    (p,) = list(read_files([tmp_path / "mau-khac.pdf"]))
    assert p.status == REFUSED and "ABCDEF" in p.reason and sheet_layout().layout_id in p.reason

    blank = Image.new("L", (800, 1100), 255)
    blank.save(tmp_path / "trang.png")
    (p,) = list(read_files([tmp_path / "trang.png"]))
    assert p.status == REFUSED and "Không tìm thấy mã QR" in p.reason

    (tmp_path / "hong.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (p,) = list(read_files([tmp_path / "hong.jpg"]))
    assert p.status == REFUSED and "hong.jpg" in p.reason
    with pytest.raises(images.ScanInputError, match="không phải ảnh hay PDF"):
        list(read_files([tmp_path / "x.docx"] if (tmp_path / "x.docx").write_text("x") else []))


def test_exif_orientation_and_big_images_are_handled(sheet, tmp_path):
    data = paper.jpeg(sheet, 80, orientation=6)
    raw = Image.open(io.BytesIO(data))
    assert raw.width > raw.height  # stored sideways, as a camera does
    (tmp_path / "xoay.jpg").write_bytes(data)
    (sp,) = list(images.load_pages(tmp_path / "xoay.jpg"))
    assert sp.image.height > sp.image.width and sp.image.mode == "L"
    big = sheet.resize((sheet.width * 3, sheet.height * 3))
    big.save(tmp_path / "to.png")
    (sp,) = list(images.load_pages(tmp_path / "to.png"))
    assert max(sp.image.size) == images.MAX_SIDE


# --- harder photographs and scanner resolutions ----------------------------------------------------


@pytest.mark.parametrize("seed", [40, 41, 42, 43])
def test_hard_photographs_never_read_a_wrong_value(sheet, seed, tmp_path):
    """A hurried photo (strong keystone, small frame, a hand's shadow, glare, motion blur, a turn with
    no EXIF tag, JPEG quality 20-40): a page is read or refused with a reason, and what is read is
    right or asked, never wrong."""
    rng = random.Random(seed)
    filled = paper.fill(sheet.copy(), DPI, paper.random_values(rng), rng, corrections=0.1)
    photo = tmp_path / "anh.jpg"
    photo.write_bytes(paper.jpeg(paper.photograph(filled.image, rng, hard=True), rng.randint(20, 40)))
    (page,) = list(read_files([photo]))
    if page.status != READ:
        assert page.status == REFUSED and page.reason, page
        return
    result = check(page, filled.truth)
    assert "WRONG" not in result.values(), result
    for name, t in filled.truth.items():
        if t.ambiguous:
            assert result[name] == "asked", name


def test_a_photo_turned_in_its_pixels_without_exif_is_read(sheet, tmp_path):
    rng = random.Random(12)
    filled = paper.fill(sheet.copy(), DPI, VALUES, rng, corrections=0)
    for turn in (90, 180, 270):
        path = tmp_path / f"xoay-{turn}.jpg"
        path.write_bytes(paper.jpeg(filled.image.rotate(turn, expand=True), 60))
        (page,) = list(read_files([path]))
        assert page.status == READ, (turn, page.reason)
        result = check(page, filled.truth)
        assert "WRONG" not in result.values() and result["workforce_total"] == "right", (turn, result)


@pytest.mark.parametrize("dpi", [150, 600])
def test_scanner_output_from_150_to_600_dpi_in_one_multipage_tiff(printed, dpi, tmp_path):
    """A scanner's multi-page TIFF of two filled forms (both pages each) at 150, 300 and 600 dpi."""
    rng = random.Random(dpi)
    render_dpi = min(dpi, 300)
    pages = []
    truths = []
    for values in (VALUES, {**VALUES, "workforce_total": 87, "attitude": "refuses"}):
        pages.append(paper.render_sheet(printed.pdf, 0, render_dpi))
        filled = paper.fill(
            paper.render_sheet(printed.pdf, 1, render_dpi), render_dpi, values, rng, corrections=0
        )
        pages.append(filled.image)
        truths.append(filled.truth)
    scanned = [paper.scan(p, rng, render_dpi, dpi).convert("L") for p in pages]
    path = tmp_path / "may-quet.tif"
    scanned[0].save(
        path, save_all=True, append_images=scanned[1:], compression="tiff_deflate", dpi=(dpi, dpi)
    )
    got = list(read_files([path]))
    assert [p.status for p in got] == [SKIPPED, READ, SKIPPED, READ]
    assert got[3].where == "may-quet.tif, trang 4"
    for page, truth in zip((got[1], got[3]), truths):
        result = check(page, truth)
        assert "WRONG" not in result.values(), result
        assert result["workforce_total"] == "right" and result["attitude"] == "right", result
    assert got[3].field("workforce_total").value == 87


# --- corner marks and QR codes that hard photos used to lose (issue 18, third session) -----------


def _photo(sheet, seed: int, quality: int = 30) -> Image.Image:
    """A hard photo of a filled sheet, as the benchmark makes them, back from its JPEG in grey."""
    rng = random.Random(seed)
    filled = paper.fill(sheet.copy(), DPI, paper.random_values(rng), rng, corrections=0)
    photo = paper.photograph(filled.image, rng, hard=True)
    return Image.open(io.BytesIO(paper.jpeg(photo, quality))).convert("L")


def _mark_box(corner: int, pad_mm: float = 0.0) -> tuple[int, int, int, int]:
    """A corner mark's square on the 200 dpi sheet (pixels), ``pad_mm`` around it."""
    x, y = sheet_layout().marks[corner]
    cx, cy = locate.to_canon(x, y)
    half = (5 / 2 + pad_mm) / 25.4 * DPI
    return round(cx - half), round(cy - half), round(cx + half), round(cy + half)


def test_a_mark_whose_edge_a_hand_shadow_crosses_is_found(sheet):
    """A hand's shadow from the left edge, its sharp edge 2 mm beside the bottom-left mark: the band
    of paper around the mark is half in shadow. The mark is measured against the paper right
    around each pixel, so the shadowed paper is paper, not ink."""
    a = np.asarray(grey(sheet), dtype=np.float32).copy()
    _, _, x1, y1 = _mark_box(3)
    edge = x1 + round(2 / 25.4 * DPI)
    a[y1 - 400 :, :edge] *= 0.5  # the shadow covers the mark and the paper left of and under it
    image = Image.fromarray(a.astype(np.uint8))
    x, y = sheet_layout().marks[3]
    centre = locate.to_canon(x, y)
    found = locate.find_mark(image, centre, 5 / 25.4 * DPI, 60)
    assert found is not None and np.hypot(found[0] - centre[0], found[1] - centre[1]) < 3
    page = read_image(image)
    assert page.status == READ and page.marks_found == 4


def test_a_mark_under_glare_is_found(sheet):
    """Glare washes out the top-left mark to a mid grey on white."""
    a = np.asarray(grey(sheet), dtype=np.float32).copy()
    x0, y0, x1, y1 = _mark_box(0)
    yy, xx = np.mgrid[0 : a.shape[0], 0 : a.shape[1]]
    cx, cy = (x0 + x1) / 2 + 15, (y0 + y1) / 2 + 10
    glare = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * 90.0**2)) * 0.6
    image = Image.fromarray(np.clip(a + (255 - a) * glare, 0, 255).astype(np.uint8))
    assert locate.find_mark(image, (cx - 15, cy - 10), 5 / 25.4 * DPI, 60) is not None
    page = read_image(image)
    assert page.status == READ and page.marks_found == 4


def test_marks_far_from_the_qr_codes_guess_under_a_strong_keystone(sheet):
    """The phone held close to the bottom of the page: the bottom edge 45% wider than the top, so
    the far marks are bigger than the QR code's scale says and far from where it puts them."""
    w, h = sheet.size
    out_w, out_h = round(w * 1.6), round(h * 1.1)
    top, bottom = (out_w - w * 0.8) / 2, (out_w - w * 0.8 * 1.45) / 2
    dst = np.array([[top, 40], [out_w - top, 40], [out_w - bottom, out_h - 40], [bottom, out_h - 40]])
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=float)
    hm = locate.homography(dst, src)
    hm /= hm[2, 2]
    image = grey(sheet).transform(
        (out_w, out_h),
        Image.Transform.PERSPECTIVE,
        tuple(hm.flatten()[:8]),
        Image.Resampling.BILINEAR,
        fillcolor=90,
    )
    (found,) = locate.read_qr(image)
    loc = locate.locate(image, found, sheet_layout())
    assert loc.marks_found == 4 and loc.qr_error_pt < 1.5
    assert read_image(image).status == READ


@pytest.mark.parametrize("table", [90, 160])
def test_a_mark_cut_by_the_page_edge_is_not_taken_for_one(sheet, table):
    """The bottom-right corner of the page cut off (or out of the frame) through its mark, 30% of
    it gone, the table beyond: what is left is not taken for the mark (its centre is not the
    printed one); the page is placed by the three other marks and the QR code."""
    a = np.asarray(grey(sheet), dtype=np.float32).copy()
    x0, y0, x1, _ = _mark_box(2)
    a = np.hstack([a, np.full((a.shape[0], 300), 255, np.float32)])
    a[y0 - 300 :, round(x0 + 0.7 * (x1 - x0)) :] = table
    image = Image.fromarray(a.astype(np.uint8))
    x, y = sheet_layout().marks[2]
    assert locate.find_mark(image, locate.to_canon(x, y), 5 / 25.4 * DPI, 30) is None
    page = read_image(image)
    assert page.status == READ and page.marks_found == 3


def test_placements_that_do_not_show_the_printed_frames_are_refused(sheet):
    """``frames_found`` is about 1 for a page placed right and low for one placed a few points off:
    the check that keeps marks agreeing with the QR code by chance from placing a page."""
    image = grey(sheet)
    (found,) = locate.read_qr(image)
    loc = locate.locate(image, found, sheet_layout())
    assert locate.frames_found(locate.straighten(image, loc).dark, sheet_layout()) > 0.95
    shifted = loc.h @ np.array([[1, 0, 6], [0, 1, -5], [0, 0, 1]], dtype=float)  # 2 mm off
    off = locate.straighten(image, locate.Located(shifted, 4, 0.0))
    assert locate.frames_found(off.dark, sheet_layout()) < 0.5


@pytest.mark.parametrize("seed", [1, 8, 58])
def test_a_small_blurred_qr_code_in_a_large_photo_is_read_from_a_crop(sheet, seed):
    """zxing finds the code in a hard photo but cannot decode it (a checksum error); cut out, enlarged
    and given its own contrast it reads. The photo is set in a frame larger than 2,400 pixels, where
    enlarging the whole image would cost too much."""
    photo = _photo(sheet, seed)
    frame = Image.new("L", (photo.width + 1300, photo.height + 700), 100)
    frame.paste(photo, (600, 300))
    import zxingcpp

    assert not zxingcpp.read_barcodes(frame, formats=zxingcpp.BarcodeFormat.QRCode)
    (found,) = locate.read_qr(frame)
    assert formcode.parse_form_code(found.text).page == 2
    assert (found.corners.min(axis=0) > (600, 300)).all()  # corners in the frame's pixels


@pytest.mark.parametrize("seed", [5, 23, 29])
def test_hard_photos_once_refused_are_read_and_never_wrong(sheet, seed, tmp_path):
    """Hard photos (keystone, shadow, blur) whose far corner marks were out of the search window or
    bigger than the QR code's scale: now read, and nothing read is wrong."""
    rng = random.Random(seed)
    filled = paper.fill(sheet.copy(), DPI, paper.random_values(rng), rng, corrections=0.1)
    photo = tmp_path / "anh.jpg"
    photo.write_bytes(paper.jpeg(paper.photograph(filled.image, rng, hard=True), 35))
    (page,) = list(read_files([photo]))
    assert page.status == READ, page.reason
    assert "WRONG" not in check(page, filled.truth).values()


def test_faint_borders_of_a_blurred_photo_are_taken_where_the_areas_around_agree(sheet):
    """A hard photo (generator seed 113) whose thin write-in box borders are faint in one area: where
    they are found agrees with the clearer areas around, so the area is read, not asked for
    nothing (it was, before)."""
    rng = random.Random(113)
    filled = paper.fill(sheet.copy(), DPI, paper.random_values(rng), rng, corrections=0)
    image = Image.open(io.BytesIO(paper.jpeg(paper.photograph(filled.image, rng, hard=True), 30))).convert(
        "L"
    )
    page = read_image(image)
    assert page.status == READ
    result = check(page, filled.truth)
    assert "WRONG" not in result.values(), result
    assert [f.field.name for f in page.fields if "Không thấy rõ khung" in f.reason] == []


def test_an_area_is_looked_for_again_where_its_neighbours_are(sheet):
    """``align(near=...)`` searches only within 1 pt of where the areas around put the page: the
    borders are found there when they are there, and not found (low contrast) when they are not,
    however dark a line is further off."""
    image = grey(sheet)
    (found,) = locate.read_qr(image)
    page = locate.straighten(image, locate.locate(image, found, sheet_layout()))
    sampler = marks._Sampler(page)
    area = sheet_layout().area("candidates_applied")
    rects = [c.write for c in area.columns]
    shift, _, contrast = sampler.align(rects, near=(1, -1))
    assert max(abs(shift[0]), abs(shift[1])) <= 1 and contrast > 0.2
    shift, _, contrast = sampler.align(rects, near=(8, 8))
    assert min(shift) >= 8 - marks.ALIGN_AGREE and contrast < marks.ALIGN_WEAK


def test_a_workforce_past_99999_is_marked_and_read_in_six_columns(sheet):
    rng = random.Random(31)
    values = {**VALUES, "workforce_total": 123_456, "workforce_women": 98_765, "union_members": 100_000}
    filled = paper.fill(sheet.copy(), DPI, values, rng, corrections=0)
    page = read_image(grey(paper.scan(filled.image, rng, DPI, 200)))
    assert page.field("workforce_total").value == 123_456
    assert page.field("workforce_women").value == 98_765
    assert page.field("union_members").value == 100_000
    assert "WRONG" not in check(page, filled.truth).values()


def test_blank_boxes_just_inside_a_sharp_shadow_stay_blank(sheet):
    """A hand's shadow with a sharp edge just left of the «Chưa» column of the yes/no boxes: the paper
    inside the shadow is paper, so the blank boxes there are not read as ticked (they were: the
    brightest paper outside was spread over them), and a box ticked in the shadow is still read."""
    layout = sheet_layout()
    rng = random.Random(41)
    filled = paper.fill(sheet.copy(), DPI, {"has_party": False, "has_union": None}, rng, corrections=0)
    a = np.asarray(grey(filled.image), dtype=np.float32).copy()
    no_box = next(b for b in layout.area("has_party").boxes if b.value == "no")
    edge = round(locate.to_canon(no_box.x - 6, 0)[0])
    a[:, edge:] *= 0.6  # the right part of the page in shadow, its edge 2 mm left of the boxes
    page = read_image(Image.fromarray(a.astype(np.uint8)))
    assert page.status == READ
    assert page.field("has_party").value is False  # ticked «Chưa» in the shadow
    assert page.field("has_union").status == marks.UNCERTAIN  # left blank: asked, never «Chưa»
    assert page.field("has_union").reason == "Chưa đánh dấu «Có» hay «Chưa»."
    for name in ("has_youth", "has_women", "has_veterans"):
        assert page.field(name).value is None, name
