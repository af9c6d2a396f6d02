"""The records of issue 17 travel like every record: the pool of candidates on a visit, the conversion of
a probationary Party admission to official, the yearly quality level of an organisation. Up from a laptop
through the ward office to the province, checked at every door (hard rules refuse the bundle, soft ones
are listed to check), and moved with their enterprise when two of one tax code are merged."""

from __future__ import annotations

from datetime import date

from app.domain.records import Admission, Enterprise, Organisation, QualityRating, Visit
from app.domain.vocab import OrgKind, OrgStatus, QualityLevel
from app.services import records as svc
from app.sync import container as C
from app.sync import rules, same_tax_code
from tests.sync.conftest import enterprise, state
from tests.sync.test_corpus import payload, refused, sealed
from tests.sync.test_rules import bundle, creation, firm

TODAY = date.today()


def _founded_party(e: Enterprise) -> Organisation:
    return Organisation(
        enterprise_id=e.id,
        kind=OrgKind.PARTY,
        status=OrgStatus.FOUNDED,
        decision_number="12-QĐ/ĐU",
        decision_date=date(2023, 3, 1),
        issuing_body="Đảng ủy phường Hoàn Kiếm",
        founding_members=3,
    )


def _laptop_records(m) -> tuple[Enterprise, Organisation, Admission, QualityRating, Visit]:
    e = enterprise(m, workforce_total=120)
    org = svc.save_organisation(m.store, _founded_party(e)).record
    adm = svc.save_admission(
        m.store,
        Admission(
            enterprise_id=e.id,
            organisation_id=org.id,
            kind=OrgKind.PARTY,
            admitted_on=date(2024, 5, 10),
            count=2,
        ),
    ).record
    rating = svc.save_rating(
        m.store,
        QualityRating(
            enterprise_id=e.id, organisation_id=org.id, kind=OrgKind.PARTY, year=2024, level=QualityLevel.GOOD
        ),
    ).record
    visit = svc.save_visit(
        m.store,
        Visit(
            enterprise_id=e.id,
            visit_date=date(2025, 6, 2),
            workforce_total=120,
            party_total=6,
            party_official=4,
            party_probationary=2,
            candidates_identified=5,
            candidates_trained=3,
            candidates_applied=2,
            candidates_admitted=0,
        ),
    ).record
    return e, org, adm, rating, visit


def test_pool_conversion_and_quality_travel_up_to_the_province(net):
    e, org, adm, rating, visit = _laptop_records(net.l1)
    net.ward.import_ok(net.l1.export(net.stick))
    # later, on the laptop: the probation ended and both were recognised; the level is corrected
    adm.official_on, adm.official_decision = date(2025, 5, 12), "88-QĐ/ĐU"
    svc.save_admission(net.l1.store, adm)
    svc.save_rating(
        net.l1.store,
        QualityRating(
            enterprise_id=e.id,
            organisation_id=org.id,
            kind=OrgKind.PARTY,
            year=2024,
            level=QualityLevel.EXCELLENT,
        ),
    )
    net.ward.import_ok(net.l1.export(net.stick))
    net.province.import_ok(net.ward.export(net.stick))
    for m in (net.ward, net.province):
        got = m.store.get(Admission, adm.id)
        assert got.official_on == date(2025, 5, 12) and got.official_decision == "88-QĐ/ĐU"
        assert got.official_count is None  # all of them
        [r] = m.store.children(QualityRating, e.id)
        assert r.id == rating.id and r.level == QualityLevel.EXCELLENT and r.year == 2024  # one per year
        v = m.store.get(Visit, visit.id)
        assert (v.candidates_identified, v.candidates_trained, v.candidates_applied) == (5, 3, 2)
    a, b = state(net.ward.store), state(net.province.store)
    for table in ("admissions", "quality_ratings", "visits"):
        assert [_values(r) for r in a[table]] == [_values(r) for r in b[table]]


def _values(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in ("origin",)}


def _bundle_v3(m, to, created) -> bytes:
    """A bundle of payload version 3: quality levels are one of its entities (docs/sync-bundle.md)."""
    return sealed(m, to, C.dumps(payload(m, to, created=list(created), version=3)))


def test_quality_levels_come_in_payload_version_3_only(net):
    e = firm()
    org = _founded_party(e)
    r = QualityRating(
        enterprise_id=e.id, organisation_id=org.id, kind=OrgKind.PARTY, year=2024, level=QualityLevel.GOOD
    )
    sections = [creation(net.l1, e), creation(net.l1, org), creation(net.l1, r)]
    assert refused(net, bundle(net.l1, net.ward, created=sections)).reason == "bad_payload"  # version 2
    path = net.stick / "v3.khaosat"
    path.write_bytes(_bundle_v3(net.l1, net.ward, sections))
    net.ward.import_ok(path)
    assert net.ward.store.get(QualityRating, r.id).level == QualityLevel.GOOD


def test_a_level_that_is_no_level_refuses_the_bundle(net):
    e = firm()
    org = _founded_party(e)
    r = QualityRating(
        enterprise_id=e.id, organisation_id=org.id, kind=OrgKind.PARTY, year=2024, level=QualityLevel.GOOD
    )
    sections = [creation(net.l1, e), creation(net.l1, org), creation(net.l1, r, level="great")]
    err = refused(net, _bundle_v3(net.l1, net.ward, sections))
    assert (
        err.reason == "rule"
        and "Xếp loại" in err.message
        and "«great»" in err.message
        and r.id in err.message
    )


def test_a_rating_for_next_year_refuses_the_bundle(net):
    e = firm()
    org = _founded_party(e)
    r = QualityRating(
        enterprise_id=e.id, organisation_id=org.id, kind=OrgKind.PARTY, year=2024, level=QualityLevel.GOOD
    )
    sections = [creation(net.l1, e), creation(net.l1, org), creation(net.l1, r, year=TODAY.year + 1)]
    err = refused(net, _bundle_v3(net.l1, net.ward, sections))
    assert err.reason == "rule" and "Năm xếp loại" in err.message


def test_a_pool_count_below_zero_refuses_the_bundle(net):
    e = firm()
    v = Visit(enterprise_id=e.id, visit_date=date(2025, 6, 2))
    err = refused(
        net,
        bundle(net.l1, net.ward, created=[creation(net.l1, e), creation(net.l1, v, candidates_applied=-2)]),
    )
    assert err.reason == "rule" and "Có đơn xin vào Đảng" in err.message


def test_an_early_conversion_is_merged_and_listed_to_check(net):
    e = firm()
    a = Admission(enterprise_id=e.id, kind=OrgKind.PARTY, admitted_on=date(2024, 9, 1), count=1)
    union = Admission(enterprise_id=e.id, kind=OrgKind.UNION, admitted_on=date(2024, 9, 1), count=4)
    sections = [
        creation(net.l1, e),
        creation(net.l1, a, official_on="2025-03-01", official_decision="5-QĐ/ĐU"),  # before 01/09/2025
        creation(net.l1, union, official_on="2025-10-01", official_decision="6-QĐ/ĐU"),  # not the Party
    ]
    path = net.stick / "soft.khaosat"
    path.write_bytes(bundle(net.l1, net.ward, created=sections))
    net.ward.import_ok(path)
    assert net.ward.store.get(Admission, a.id).official_on == date(2025, 3, 1)  # merged as it came
    listed = {(c.record_id, c.field): c.message for c in rules.to_check(net.ward.store)}
    assert "01/09/2025" in listed[(a.id, "official_on")]
    assert "Chỉ người được kết nạp vào Đảng" in listed[(union.id, "official_on")]


def test_an_entity_of_a_newer_version_is_named(net):
    e = firm()
    sec = creation(net.l1, e)
    future = {"entity": "branch_meetings", "columns": ["id"], "rows": [[*sec["rows"][0][:5], "x1"]]}
    data = sealed(net.l1, net.ward, C.dumps(payload(net.l1, net.ward, created=[sec, future])))
    err = refused(net, data)
    assert err.reason == "newer_format" and "branch_meetings" in err.message and "cập nhật" in err.message


def test_ratings_move_with_their_enterprise_when_two_of_one_tax_code_are_merged(net):
    e, _org, _adm, rating, _visit = _laptop_records(net.l1)
    twin = Enterprise(name="Cty TNHH Hòa Bình", tax_code=e.tax_code, ward_code=e.ward_code)
    with net.l1.store.write() as w:
        w.create(twin)
    merged = same_tax_code.merge_pair(net.l1.store, twin.id, e.id)
    assert merged.moved["quality_ratings"] == 1 and merged.moved["admissions"] == 1
    assert net.l1.store.get(QualityRating, rating.id).enterprise_id == twin.id
