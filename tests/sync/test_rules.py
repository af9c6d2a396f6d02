"""Bundle values go through the domain rules: a hard violation refuses the whole bundle, naming the record,
the field and the rule, with the database byte-for-byte unchanged; soft ones are merged and listed at the
office as values to check, with the machine that sent them. At every office, relayed envelopes included."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.domain.records import Admission, Enterprise, Organisation, Record, Visit
from app.domain.vocab import OrgKind, OrgStatus
from app.sync import bundles as B
from app.sync import container as C
from app.sync import registry as R
from app.sync import rules
from tests.sync.conftest import WARD, Machine, db_fingerprint, enterprise
from tests.sync.test_corpus import payload, refused, sealed


def creation(m: Machine, record: Record, **values) -> dict:
    """``record`` created on ``m`` (no checks: the writer stores what it is given) as a payload section;
    ``values`` replace stored values (any JSON value, as a hostile or buggy writer would send)."""
    with m.store.write() as w:
        w.create(record)
    [c] = [r for r in m.store.changes_since(0) if r["record_id"] == record.id and r["op"] == "create"]
    stored = {k: v[1] for k, v in c["fields"].items()}
    stored.update(values)
    columns = ["id", *sorted(stored)]
    row = [c["change_id"], c["txn"], c["hlc"], c["author"], c["wall_time"], record.id]
    row += [stored[k] for k in columns[1:]]
    return {"entity": record.TABLE, "columns": columns, "rows": [row]}


def update(m: Machine, record: Record, **fields) -> list:
    """An update of ``record`` made on ``m``, as a payload change with the given new values."""
    current = m.store.get(type(record), record.id, include_deleted=True)
    for k, v in fields.items():
        setattr(
            current, k, v if not isinstance(v, str) or k not in ("visit_date",) else date.fromisoformat(v)
        )
    with m.store.write() as w:
        w.update(current)
    c = [r for r in m.store.changes_since(0) if r["record_id"] == record.id and r["op"] == "update"][-1]
    return [
        c["change_id"],
        c["txn"],
        c["hlc"],
        c["author"],
        c["wall_time"],
        c["entity"],
        c["record_id"],
        "update",
        {k: [c["fields"].get(k, [None, None])[0], v] for k, v in fields.items()},
    ]


def bundle(m: Machine, to: Machine, *, created=(), changes=(), seq: int = 1, prev=None) -> bytes:
    return sealed(
        m, to, C.dumps(payload(m, to, created=list(created), changes=list(changes), seq=seq, prev=prev))
    )


def firm(name: str = "Công ty TNHH Hòa Bình", tax: str = "0100109106", **kw) -> Enterprise:
    return Enterprise(name=name, tax_code=tax, ward_code=WARD, **kw)


def visit_of(e: Enterprise, **kw) -> Visit:
    return Visit(enterprise_id=e.id, visit_date=kw.pop("visit_date", date(2026, 11, 20)), **kw)


TODAY = date.today()

HARD = {
    "tax code not a tax code": (lambda e: firm(), {"tax_code": "ABC"}, "tax_code", "Mã số thuế"),
    "tax code with a wrong check digit": (
        lambda e: firm(),
        {"tax_code": "0100109107"},
        "tax_code",
        "Mã số thuế",
    ),
    "a status that is no status": (lambda e: firm(), {"status": "bogus"}, "status", "«bogus»"),
    "a legal form that is no legal form": (lambda e: firm(), {"legal_form": "llc"}, "legal_form", "«llc»"),
    "a ward that does not exist": (lambda e: firm(), {"ward_code": "99999"}, "ward_code", "99999"),
    "negative workforce": (lambda e: firm(), {"workforce_total": -5}, "workforce_total", "-5"),
    "a workforce of two million": (
        lambda e: firm(),
        {"workforce_total": 2_000_000},
        "workforce_total",
        "quá lớn",
    ),
    "a year in the future": (
        lambda e: firm(),
        {"year_founded": TODAY.year + 1},
        "year_founded",
        "Năm thành lập",
    ),
    "a name of 301 characters": (lambda e: firm(), {"name": "A" * 301}, "name", "quá dài"),
    "a yes/no that is 2": (lambda e: firm(), {"fdi": 2}, "fdi", "có (1) hoặc không (0)"),
    "a boolean in text": (lambda e: firm(), {"phone": 12345678}, "phone", "phải là chữ"),
    "NUL in a name": (lambda e: firm(), {"name": "Công ty\x00Hòa Bình"}, "name", "NUL"),
    "a bell in a note": (lambda e: firm(), {"note": "ghi chú\x07"}, "note", "điều khiển"),
    "a right-to-left override in an address": (
        lambda e: firm(),
        {"address": "Số 12 \u202eiợL êL"},
        "address",
        "đảo chiều",
    ),
    "a date that does not exist": (
        lambda e: visit_of(e),
        {"visit_date": "2026-13-45"},
        "visit_date",
        "ngày có thật",
    ),
    "a visit next week": (
        lambda e: visit_of(e),
        {"visit_date": (TODAY + timedelta(days=7)).isoformat()},
        "visit_date",
        "sau ngày hôm nay",
    ),
    "a visit without its date": (
        lambda e: visit_of(e),
        {"visit_date": None},
        "visit_date",
        "Chưa nhập ngày khảo sát",
    ),
    "an attitude that is no attitude": (lambda e: visit_of(e), {"attitude": "angry"}, "attitude", "«angry»"),
    "negative union members": (lambda e: visit_of(e), {"union_members": -1}, "union_members", "-1"),
    "an admission of -3": (
        lambda e: Admission(enterprise_id=e.id, kind=OrgKind.UNION, admitted_on=date(2026, 10, 1)),
        {"count": -3},
        "count",
        "Số người kết nạp",
    ),
    "an ISO week date": (lambda e: visit_of(e), {"visit_date": "2026-W09-5"}, "visit_date", "năm-tháng-ngày"),
    "a tax code in full-width digits": (
        lambda e: firm(),
        {"tax_code": "０１００１０９１０６"},
        "tax_code",
        "dạng chuẩn «0100109106»",
    ),
    "a phone with a line break after it": (
        lambda e: firm(),
        {"phone": "0912345678\n"},
        "phone",
        "Số điện thoại",
    ),
    "a C1 control in a name": (lambda e: firm(), {"name": "Công ty\x85Hòa Bình"}, "name", "U+0085"),
    "an organisation of an unknown kind": (
        lambda e: Organisation(enterprise_id=e.id),
        {"kind": "club"},
        "kind",
        "«club»",
    ),
}


@pytest.mark.parametrize("case", list(HARD))
def test_a_value_the_rules_refuse_refuses_the_whole_bundle(net, case):
    make, values, field, said = HARD[case]
    e = firm(name="Công ty TNHH Khác", tax="0100109113")
    parent = creation(net.l1, e)
    record = make(e)
    sec = creation(net.l1, record, **values)
    sections = [parent, sec] if record.TABLE != "enterprises" else [sec]
    err = refused(net, bundle(net.l1, net.ward, created=sections))
    assert err.reason == "rule", err.message
    label = type(record).LABELS[field]
    assert record.id in err.message and label in err.message and field in err.message, err.message
    assert said in err.message, err.message
    assert (
        net.ward.store.get(Enterprise, e.id) is None
    )  # the valid record in the same bundle did not come either


def test_each_refusal_says_its_own_rule(net):
    messages = set()
    for make, values, _field, _said in HARD.values():
        e = firm(name=f"Công ty {len(messages)}", tax="0100109113")
        record = make(e)
        sections = [creation(net.l1, e)] if record.TABLE != "enterprises" else []
        sections.append(creation(net.l1, record, **values))
        err = refused(net, bundle(net.l1, net.ward, created=sections))
        messages.add(err.message.split(": ", 1)[1].split(" Không nhập gì cả")[0].replace(record.id, ""))
    assert len(messages) == len(HARD)


def test_an_update_is_checked_too(net):
    e = enterprise(net.l1)
    net.ward.import_ok(net.l1.export(net.stick))
    change = update(net.l1, e, tax_code="ABC")
    err = refused(net, bundle(net.l1, net.ward, changes=[change], seq=2, prev=_last_hash(net)))
    assert err.reason == "rule" and e.id in err.message and "Mã số thuế" in err.message


def test_a_value_corrected_later_in_the_same_bundle_is_history_not_the_record(net):
    """The laptop holds a record the rules refuse (typed before a rule existed): the office refuses its
    bundle, the user corrects the record, and the next bundle (creation + correction) is merged."""
    e = firm(workforce_total=-5)
    with net.l1.store.write() as w:  # stored without the checks of the forms
        w.create(e)
    with pytest.raises(Exception) as exc:
        net.l1.export(net.stick)  # the laptop itself says what to correct before anything is sent
    assert "Tổng số lao động" in str(exc.value) and e.id in str(exc.value)
    current = net.l1.store.get(Enterprise, e.id)
    current.workforce_total = 50
    with net.l1.store.write() as w:
        w.update(current)
    r = net.ward.import_ok(net.l1.export(net.stick))
    assert r.report.new == 1 and net.ward.store.get(Enterprise, e.id).workforce_total == 50
    # the history keeps the value as it was sent
    assert [h["op"] for h in net.ward.store.history("enterprises", e.id)] == ["create", "update"]


def test_a_laptop_clock_a_little_ahead_is_tolerated(net):
    e = firm()
    tomorrow = (TODAY + rules.CLOCK_TOLERANCE).isoformat()
    sections = [creation(net.l1, e), creation(net.l1, visit_of(e), visit_date=tomorrow)]
    path = net.stick / "ngay-mai.khaosat"
    path.write_bytes(bundle(net.l1, net.ward, created=sections))
    r = net.ward.import_ok(path)
    assert r.report.new == 2 and r.report.to_check == 1  # merged, and listed to check
    [item] = rules.to_check(net.ward.store)
    assert item.field == "visit_date" and "sau ngày hôm nay" in item.message


def test_soft_rules_merge_and_list_with_the_laptop_that_sent_them(net):
    e = firm(workforce_total=10)
    v = visit_of(
        e, workforce_total=20, workforce_women=25, party_official=3, party_probationary=1, party_total=5
    )
    o = Organisation(enterprise_id=e.id, kind=OrgKind.PARTY, status=OrgStatus.FOUNDED, founding_members=2)
    for record in (e, v, o):
        with net.l1.store.write() as w:
            w.create(record)
    r = net.ward.import_ok(net.l1.export(net.stick))
    assert r.report.new == 3 and r.report.to_check >= 4 and "cần kiểm tra" in r.summary()
    items = rules.to_check(net.ward.store)
    found = {(i.entity, i.field) for i in items}
    assert {
        ("visits", "workforce_women"),
        ("visits", "party_total"),
        ("organisations", "decision_number"),
        ("organisations", "founding_members"),
    } <= found
    assert all(i.sender.startswith("Nguyễn Thị Hằng") and i.enterprise_name == e.name for i in items)
    women = next(i for i in items if i.field == "workforce_women")
    assert "Lao động nữ (25)" in women.message and women.field_label == "Lao động nữ"
    # corrected at the office: the value leaves the list; a person keeps another as it is
    current = net.ward.store.get(Visit, v.id)
    current.workforce_women = 8
    with net.ward.store.write() as w:
        w.update(current)
    assert ("visits", "workforce_women") not in {(i.entity, i.field) for i in rules.to_check(net.ward.store)}
    party = next(i for i in rules.to_check(net.ward.store) if i.field == "party_total")
    assert rules.mark_checked(net.ward.store, [party.id], "Lê Thị Thu") == 1
    assert party.id not in {i.id for i in rules.to_check(net.ward.store)}
    [kept] = [i for i in rules.to_check(net.ward.store, include_checked=True) if i.id == party.id]
    assert kept.checked_by == "Lê Thị Thu"


def test_a_later_bundle_that_corrects_the_record_clears_it(net):
    e = firm(workforce_total=10, workforce_women=30)
    with net.l1.store.write() as w:
        w.create(e)
    r = net.ward.import_ok(net.l1.export(net.stick))
    net.l1.import_ok(r.receipt)
    assert [i.field for i in rules.to_check(net.ward.store)] == ["workforce_women"]
    current = net.l1.store.get(Enterprise, e.id)
    current.workforce_women = 3
    with net.l1.store.write() as w:
        w.update(current)
    net.ward.import_ok(net.l1.export(net.stick))
    assert net.ward.store.conn.execute("SELECT count(*) FROM sync_checks").fetchone()[0] == 0


def test_relayed_envelopes_are_checked_at_every_office(net):
    """A ward office that merged a bad value anyway (an older version) relays it: the province refuses."""
    e = firm()
    sec = creation(net.l1, e, tax_code="ABC")
    env = C.sign_envelope(
        C.TYPE_BUNDLE,
        C.dumps(payload(net.l1, net.ward, created=[sec])),
        net.l1.ident.current.keyid,
        net.l1.ident.current.sign,
    )
    outer = payload(net.ward, net.province, relayed=[env.hash], vouched=R.vouch_entries(net.ward.store))
    outer_env = C.sign_envelope(
        C.TYPE_BUNDLE, C.dumps(outer), net.ward.ident.current.keyid, net.ward.ident.current.sign
    )
    data = C.seal(
        C.KIND_BUNDLE, net.province.ident.current.keyid, net.province.ident.current.enc_pub, [outer_env, env]
    )
    err = refused(net, data, importer=net.province)
    assert err.reason == "rule" and e.id in err.message and "Mã số thuế" in err.message


def _last_hash(net) -> str:
    return net.ward.store.conn.execute("SELECT hash FROM sync_chains ORDER BY seq DESC LIMIT 1").fetchone()[0]


def test_the_db_is_byte_identical_after_a_refusal_at_the_province_scale_path(net):
    """Many rows in one section (the columnar path): the one bad value among them is found and named."""
    sections = []
    firms = [firm(name=f"Công ty số {i}", tax="0100109106") for i in range(300)]
    sec = None
    for i, e in enumerate(firms):
        s = creation(net.l1, e, workforce_total=-1 if i == 217 else 10)
        if sec is None:
            sec = s
        else:
            sec["rows"] += s["rows"]
    sections.append(sec)
    before = db_fingerprint(net.ward.store)
    err = refused(net, bundle(net.l1, net.ward, created=sections))
    assert firms[217].id in err.message and "Tổng số lao động" in err.message
    assert db_fingerprint(net.ward.store) == before
    assert B is not None


@pytest.mark.slow
def test_values_to_check_on_the_command_line(net):
    from tests.conftest import run_cli

    e = firm(workforce_total=10, workforce_women=30)
    with net.l1.store.write() as w:
        w.create(e)
    net.ward.import_ok(net.l1.export(net.stick))
    r = run_cli("to-check", data_dir=net.ward.folder)
    assert r.returncode == 0, r.stderr
    assert (
        "Công ty TNHH Hòa Bình" in r.stdout
        and "Lao động nữ (30)" in r.stdout
        and "Nguyễn Thị Hằng" in r.stdout
    )
    assert "(1 giá trị cần kiểm tra)" in r.stdout
    [item] = rules.to_check(net.ward.store)
    r = run_cli("to-check", "--done", str(item.id), data_dir=net.ward.folder)
    assert r.returncode == 0 and "1 giá trị" in r.stdout
    assert "(0 giá trị cần kiểm tra)" in run_cli("to-check", data_dir=net.ward.folder).stdout
    assert (
        "đã kiểm tra: Đảng ủy phường Hoàn Kiếm"
        in run_cli("to-check", "--all", data_dir=net.ward.folder).stdout
    )
