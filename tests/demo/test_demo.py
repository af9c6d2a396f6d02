"""Demo data: deterministic, realistic, and every record passes the domain rules."""

import unicodedata

from app.demo.generator import DemoOptions, generate
from app.domain import taxcode
from app.domain.records import Admission, Enterprise, Organisation, QualityRating, Target, Visit
from app.domain.validation import (
    validate_admission,
    validate_enterprise,
    validate_organisation,
    validate_rating,
    validate_visit,
)
from app.domain.vocab import OrgKind, OrgStatus
from app.storage import Store
from tests.conftest import TEST_TODAY
from tests.helpers.vault import open_store


def load(store, cls):
    return [cls.from_row(r) for r in store._rows(f"SELECT * FROM {cls.TABLE}")]


def test_every_record_passes_validation(demo_file):
    with open_store(demo_file.parent) as s:
        enterprises = load(s, Enterprise)
        assert len(enterprises) == 300
        for e in enterprises:
            assert validate_enterprise(e, TEST_TODAY) == [], e
            assert taxcode.parse(e.tax_code).ok
            assert unicodedata.is_normalized("NFC", e.name)
            assert e.ward_code == "00070" and "Hoàn Kiếm" in e.address
        assert len({e.tax_code for e in enterprises}) == 300
        visits = load(s, Visit)
        assert 600 <= len(visits) <= 1200
        for v in visits:
            assert validate_visit(v, TEST_TODAY) == [], v
            assert v.visit_date.year >= TEST_TODAY.year - 2
        orgs = load(s, Organisation)
        rules = s.founding_rules()
        for o in orgs:
            assert validate_organisation(o, rules=rules, today=TEST_TODAY) == [], o
        founded_in_period = [
            o for o in orgs if o.status == OrgStatus.FOUNDED and o.decision_date.year >= 2023
        ]
        assert founded_in_period, "organisations are founded along the way"
        assert load(s, Admission) and load(s, Target)
        admissions = load(s, Admission)
        for a in admissions:
            assert validate_admission(a, TEST_TODAY) == [], a
        party = [a for a in admissions if a.kind == OrgKind.PARTY]
        assert any(a.official_on for a in party), "probations end in conversions"
        assert any(a.official_on is None for a in party), "and some are still probationary"
        by_id = {o.id: o for o in orgs}
        ratings = load(s, QualityRating)
        assert {r.level for r in ratings} >= {"good", "fulfilled"} and len({r.kind for r in ratings}) >= 3
        for r in ratings:
            assert validate_rating(r, by_id[r.organisation_id], TEST_TODAY) == [], r
        assert any(v.candidates_identified for v in visits) and any(v.candidates_admitted for v in visits)
        # diacritics everywhere
        assert any("ễ" in (e.owner_name or "") for e in enterprises)


def test_same_options_give_the_same_data():
    def snapshot(seed):
        s = Store.memory()
        generate(s, DemoOptions("00070", enterprises=40, seed=seed, today=TEST_TODAY))
        rows = s._rows("SELECT id, name, tax_code, workforce_total FROM enterprises ORDER BY id")
        visits = s._rows("SELECT id, visit_date, party_total FROM visits ORDER BY id")
        s.close()
        return rows, visits

    assert snapshot(5) == snapshot(5)
    assert snapshot(5) != snapshot(6)


def test_demo_writes_the_change_log_and_search_index():
    s = Store.memory()
    r = generate(s, DemoOptions("00070", enterprises=30, seed=1, today=TEST_TODAY))
    total = r.enterprises + r.visits + r.organisations + r.admissions + r.targets + r.ratings
    assert s.counts()["changes"] == total
    assert s.search_enterprises("cong ty")
