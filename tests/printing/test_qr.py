"""QR codes: the texts, the parser, and decoding what was printed with zbarimg."""

from __future__ import annotations

import random
import uuid

import pytest
from reportlab.pdfgen.canvas import Canvas

from app.domain import formcode
from app.printing import qr
from tests.printing.pdftools import qr_codes_per_page


def test_visit_code_round_trip_any_case_and_spaces():
    eid = str(uuid.uuid4())
    text = formcode.visit_form_code(eid, "0100109106-001")
    assert text == f"KHAOSAT:F1:{eid.upper()}:0100109106-001"
    for typed in (text, text.lower(), f"  {text}\n", text.replace(":", ": ")):
        code = formcode.parse_form_code(typed)
        assert (code.kind, code.version, code.enterprise_id, code.tax_code) == (
            "visit",
            "F1",
            eid,
            "0100109106-001",
        )
    assert formcode.parse_form_code(formcode.visit_form_code(eid, None)).tax_code is None


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "Chưa nhập"),
        ("0100109106", "không phải mã phiếu KhaoSat"),
        ("KHAOSAT:F1:123:0100109106", "không đúng dạng"),
        # a fixed id: the tests run in parallel and every process must collect the same parameters
        ("KHAOSAT:F9:32763268-2d0a-44fb-ab10-ac564304ae17:0100109106", "phiên bản KhaoSat mới hơn"),
        ("KHAOSAT:F1:" + "G" * 32 + ":1", "không đúng dạng"),
        ("KHAOSAT:F1:" + "A" * 31 + "-:1", "bị sai"),
    ],
)
def test_bad_codes_get_a_vietnamese_message(text, message):
    with pytest.raises(formcode.FormCodeError, match=message):
        formcode.parse_form_code(text)


def test_key_code_keeps_the_fingerprint_exactly():
    text = formcode.key_form_code("a1b2c3d4e5f60718", "12345 67890 13579 24680 11223 34455")
    code = formcode.parse_form_code(text)
    assert (code.kind, code.laptop_id, code.fingerprint) == (
        "key",
        "a1b2c3d4e5f60718",
        "12345 67890 13579 24680 11223 34455",
    )


def test_mask_scoring_picks_the_lowest_penalty_and_changes_the_symbol():
    rng = random.Random(9)
    texts = [
        formcode.visit_form_code(str(uuid.UUID(int=rng.getrandbits(128), version=4)), "0100109106")
        for _ in range(8)
    ]
    changed = 0
    for text in texts:
        fixed = qr.matrix(text)
        best = qr.matrix(text, best_mask=True)
        assert len(fixed) == len(best) == 29  # version 3: alphanumeric mode keeps it small
        assert qr.penalty(best) <= qr.penalty(fixed)
        changed += best != fixed
    assert changed >= 4  # mask 0 is rarely the best: the scoring really chooses


def test_the_symbol_is_one_path():
    rows = qr.matrix("KHAOSAT:F1:TEST")
    ops = qr.path_operators(rows, 10, 20, 80)
    assert ops.count(" re") == sum(_runs(r) for r in rows)
    assert ops.count(" f ") + ops.endswith("f Q") == 1  # a single fill for the whole symbol


def _runs(row):
    return sum(1 for i, d in enumerate(row) if d and (i == 0 or not row[i - 1]))


@pytest.mark.slow
def test_printed_codes_decode_with_zbarimg(tmp_path):
    """Thirty random codes with the fast fixed mask and with the best mask, small as on the form.

    One code per page: zbarimg is reliable on one symbol per image, as a phone or scanner sees a form.
    """
    rng = random.Random(5)
    texts = [
        formcode.visit_form_code(
            str(uuid.UUID(int=rng.getrandbits(128), version=4)), f"{rng.randint(0, 9_999_999_999):010d}"
        )
        for _ in range(30)
    ]
    path = tmp_path / "codes.pdf"
    c = Canvas(str(path))
    for i, t in enumerate(texts):
        qr.draw(c, t, 100 + i * 10, 100 + i * 15, 65, best_mask=i % 2 == 1)  # 23 mm, as on the visit form
        c.showPage()
    c.save()
    assert qr_codes_per_page(path, tmp=tmp_path) == [[t] for t in texts]


@pytest.mark.parametrize("level", ["L", "M", "Q", "H"])
def test_fast_error_correction_equals_reportlabs(level):
    from reportlab.graphics.barcode import qrencoder as Q

    rng = random.Random(level)
    for length in (1, 7, 30, 58, 90, 150, 300, 600):
        text = "".join(rng.choice("ABCDEF0123456789:- abcxyzđ") for _ in range(length))
        q = Q.QRCode(None, qr._LEVELS[level])
        q.addData(text)
        version = q.calculate_version()
        assert qr.create_data(version, q.errorCorrectLevel, q.dataList) == Q.QRCode.createData(
            version, q.errorCorrectLevel, q.dataList
        ), (level, length, version)
