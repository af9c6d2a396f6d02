"""LookalikeIndex gives the same answers as find_lookalikes, for a whole list at once."""

from __future__ import annotations

from app.demo.generator import DemoOptions, generate
from app.domain.records import Enterprise
from app.domain.validation import normalise_enterprise
from app.storage.lookalikes import LookalikeIndex, find_lookalikes
from tests.conftest import TEST_TODAY, TEST_WARD


def test_index_matches_find_lookalikes(store):
    generate(store, DemoOptions(TEST_WARD, enterprises=60, seed=3, today=TEST_TODAY))
    rows = store._rows("SELECT * FROM enterprises WHERE deleted = 0 ORDER BY rid LIMIT 20")
    index = LookalikeIndex(store)
    probes = []
    for row in rows:
        e = Enterprise.from_row(row)
        # a copy typed differently: no diacritics, old tone placement, "Cty" for "Công ty"
        probes.append(
            Enterprise(
                name=e.name.replace("Công ty", "Cty"), tax_code="", address=e.address, ward_code=e.ward_code
            )
        )
        probes.append(Enterprise(name="Tên khác hẳn", tax_code=e.tax_code, ward_code=e.ward_code))
    probes.append(Enterprise(name="Không trùng ai cả", tax_code="0100109106", ward_code=TEST_WARD))
    for probe in probes:
        expected = {(d.enterprise["id"], d.reason) for d in find_lookalikes(store, probe)}
        got = {(d.enterprise["id"], d.reason) for d in index.match(normalise_enterprise(probe))}
        assert got == expected
    assert sum(bool(index.match(normalise_enterprise(p))) for p in probes) == 40


def test_index_add_makes_later_rows_match(store):
    index = LookalikeIndex(store)
    e = normalise_enterprise(
        Enterprise(
            name="Công ty TNHH Hòa Bình", tax_code="0100109106", address="12 Tràng Tiền", ward_code=TEST_WARD
        )
    )
    assert index.match(e) == []
    index.add(e)
    twin = normalise_enterprise(
        Enterprise(name="CTY TNHH HOÀ BÌNH", tax_code="", address="12 trang tien", ward_code=TEST_WARD)
    )
    assert [d.reason for d in index.match(twin)] == ["Trùng tên và địa chỉ với một doanh nghiệp đã có."]
    assert index.same_tax_code("0100109106")[0]["id"] == e.id
