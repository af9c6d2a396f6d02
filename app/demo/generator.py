"""Generate a ward's worth of realistic, deterministic demo data.

The same options (ward, count, seed, years, reference date) give the same records, with the same
UUIDs. Every record passes the domain validation (checked in ``tests/demo``). Everything is
written in one transaction through ``Writer.create_many``, so the change log and the search index
are filled exactly as if a person had typed it all.

Records are made with the classes the program uses (``record_type``). The fields of an enterprise
and of a visit listed in ``MODELLED`` get values that hang together (a workforce, its women, the
members found...); any other field declared on them (a question added since) gets a plausible value
from its declaration alone (``declared_value``: a count within its bounds and below the whole it is
part of, a choice among its choices...), so demo data shows every question until someone models it.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from app.demo import names as N
from app.domain import taxcode, units
from app.domain.fields import FieldInfo, Kind
from app.domain.probation import add_months, due_on
from app.domain.records import (
    Admission,
    Enterprise,
    Organisation,
    QualityRating,
    Record,
    Target,
    Visit,
    fields_of,
    record_type,
    uuid7,
)
from app.domain.validation import DEFAULT_RULES
from app.domain.vocab import (
    PROBATION_MONTHS,
    Attitude,
    EnterpriseStatus,
    LegalForm,
    OrgKind,
    OrgStatus,
    QualityLevel,
    TargetMetric,
)
from app.storage.changes import ChangeSummary
from app.storage.store import Store

Progress = Callable[[int, int], None]


@dataclass
class DemoOptions:
    ward_code: str
    enterprises: int = 200
    seed: int = 1
    years: int = 3
    visits_per_enterprise: float = 3.0
    today: date = field(default_factory=date.today)
    author: str = "Dữ liệu mẫu"


@dataclass
class DemoResult:
    enterprises: int = 0
    visits: int = 0
    organisations: int = 0
    admissions: int = 0
    targets: int = 0
    ratings: int = 0
    changes: ChangeSummary = field(default_factory=ChangeSummary)  # what was written (for the window)


_FORMS = [  # (legal form, name prefix, weight)
    (LegalForm.LLC_ONE, "Công ty TNHH MTV", 24),
    (LegalForm.LLC_MULTI, "Công ty TNHH", 34),
    (LegalForm.JSC, "Công ty Cổ phần", 22),
    (LegalForm.PRIVATE, "Doanh nghiệp tư nhân", 8),
    (LegalForm.COOPERATIVE, "Hợp tác xã", 3),
    (LegalForm.PARTNERSHIP, "Công ty Hợp danh", 1),
    (LegalForm.HOUSEHOLD, "Hộ kinh doanh", 8),
]


class _Gen:
    def __init__(self, opts: DemoOptions):
        self.o = opts
        self.rng = random.Random(f"khaosat-demo:{opts.ward_code}:{opts.seed}")
        ward = units.ward(opts.ward_code)
        if ward is None:
            raise ValueError(f"unknown ward {opts.ward_code}")
        province = units.province(ward.province_code)
        if province is None:
            raise ValueError(f"unknown province of ward {opts.ward_code}")
        self.ward, self.province = ward, province
        self.start = date(opts.today.year - opts.years + 1, 1, 1)
        self.tax_codes: set[str] = set()
        self._epoch = int(datetime(opts.today.year, 1, 1, tzinfo=UTC).timestamp() * 1000)
        self._epoch += (int(self.ward.code) * 1_000_003 + opts.seed * 7919) % 10**9
        self._tick = 0
        c = self.rng
        self.collaborators = [self.person(c.random() < 0.5) for _ in range(c.randint(3, 6))]
        self.surnames = [s for s, _ in N.SURNAMES]
        self.surname_w = [w for _, w in N.SURNAMES]

    def uid(self) -> str:
        # time-ordered like real ids (uuid7), but deterministic: a fixed start and a counter
        self._tick += 1
        return str(uuid7(self._epoch + self._tick, self.rng.getrandbits(74)))

    def person(self, female: bool | None = None) -> str:
        r = self.rng
        if female is None:
            female = r.random() < 0.45
        surname = r.choices(
            self.surnames if hasattr(self, "surnames") else [s for s, _ in N.SURNAMES],
            [w for _, w in N.SURNAMES],
        )[0]
        middle = r.choice(N.MIDDLE_FEMALE if female else N.MIDDLE_MALE)
        given = r.choice(N.GIVEN_FEMALE if female else N.GIVEN_MALE)
        return f"{surname} {middle} {given}"

    def date_between(self, a: date, b: date) -> date:
        if b <= a:
            return a
        return a + timedelta(days=self.rng.randint(0, (b - a).days))

    def tax_code(self, form: LegalForm) -> str:
        r = self.rng
        while True:
            if form == LegalForm.HOUSEHOLD:
                code = (
                    r.choice(sorted(taxcode.PERSONAL_ID_PLACES))
                    + str(r.choice((0, 1, 2, 3)))
                    + f"{r.randint(0, 99_999_999):08d}"
                )
            else:
                prefix = (
                    f"{int(self.province.code) % 100:02d}" if r.random() < 0.8 else f"{r.randint(1, 99):02d}"
                )
                first9 = prefix + f"{r.randint(0, 9_999_999):07d}"
                code = taxcode.make_valid(first9) or ""
                if code and r.random() < 0.03:
                    code += f"-{r.randint(1, 12):03d}"
            if code and code not in self.tax_codes:
                self.tax_codes.add(code)
                return code

    def workforce(self) -> int:
        r = self.rng.random()
        if r < 0.55:
            return self.rng.randint(1, 19)
        if r < 0.93:
            return self.rng.randint(20, 499)
        if r < 0.99:
            return self.rng.randint(500, 2999)
        return self.rng.randint(3000, 12000)

    def enterprise(self) -> Enterprise:
        r = self.rng
        form, prefix = r.choices([(f, p) for f, p, _ in _FORMS], [w for *_, w in _FORMS])[0]
        section = r.choices(list(N.INDUSTRY_WEIGHTS), list(N.INDUSTRY_WEIGHTS.values()))[0]
        brand = r.choice(N.BRAND_WORDS)
        industry = r.choice(N.INDUSTRY_WORDS[section])
        owner = self.person()
        if form == LegalForm.PRIVATE:
            name = f"{prefix} {brand}"
        elif form == LegalForm.HOUSEHOLD:
            name = f"{prefix} {owner}"
        else:
            name = f"{prefix} {industry} {brand}"
        if r.random() < 0.3:
            name += f" {r.choice(['Việt Nam', 'Miền Bắc', 'Sài Gòn', 'Quốc tế', str(r.randint(1, 9))])}"
        ascii_brand = "".join(ch for ch in _ascii(brand).upper() if ch.isalnum())
        short = {
            LegalForm.JSC: f"{ascii_brand} JSC",
            LegalForm.LLC_ONE: f"{ascii_brand} CO., LTD",
            LegalForm.LLC_MULTI: f"{ascii_brand} CO., LTD",
        }.get(form)
        total = self.workforce() if form != LegalForm.HOUSEHOLD else r.randint(1, 9)
        women = round(total * r.uniform(0.15, 0.8))
        under30 = round(total * r.uniform(0.1, 0.6))
        street = r.choice(N.STREETS)
        address = f"Số {r.randint(1, 450)}{r.choice(['', '', '', 'A', 'B'])} {street}, {self.ward.name}, {self.province.name}"
        if r.random() < 0.15:
            address = f"Ngõ {r.randint(2, 200)}, {address}"
        status = r.choices(list(EnterpriseStatus), [92, 4, 2, 2])[0]
        return record_type(Enterprise)(
            id=self.uid(),
            name=name,
            short_name=short,
            tax_code=self.tax_code(form),
            legal_form=form,
            fdi=form in (LegalForm.JSC, LegalForm.LLC_ONE, LegalForm.LLC_MULTI) and r.random() < 0.06,
            vsic_section=section,
            address=address,
            ward_code=self.ward.code,
            phone=f"0{r.choice([24, 28, 90, 91, 98, 97, 86, 35])}{r.randint(1_000_000, 9_999_999)}"
            if r.random() < 0.85
            else None,
            email=f"lienhe@{_ascii(brand).lower().replace(' ', '')}{r.randint(1, 999)}.vn"
            if r.random() < 0.5
            else None,
            owner_name=owner,
            owner_is_party_member=r.random() < 0.08,
            year_founded=r.randint(1995, self.o.today.year),
            workforce_total=total,
            workforce_women=women,
            workforce_under30=under30,
            status=status,
        )

    def organisations(self, e: Enterprise) -> list[Organisation]:
        """Organisations of one enterprise: some founded before the period, some during, some mobilising."""
        r = self.rng
        total = e.workforce_total or 0
        out = []
        # Rough shares seen in the seed articles: unions are the most common, Party
        # organisations and Veterans' branches the rarest; big enterprises have more of them.
        base = {
            OrgKind.PARTY: 0.01,
            OrgKind.UNION: 0.04,
            OrgKind.YOUTH: 0.02,
            OrgKind.WOMEN: 0.015,
            OrgKind.VETERANS: 0.005,
        }
        size_boost = 0.0 if total < 20 else (0.12 if total < 500 else 0.45)
        for kind, p in base.items():
            minimum = DEFAULT_RULES.minimum(kind) or 3
            if total < minimum:
                continue
            roll = r.random()
            p_founded = min(0.9, p + size_boost * (1.2 if kind == OrgKind.UNION else 0.5))
            org = Organisation(id=self.uid(), enterprise_id=e.id, kind=kind)
            ward_short = self.ward.short_name
            if roll < p_founded:
                before = r.random() < 0.6
                founded_on = (
                    self.date_between(
                        date(max(e.year_founded or 2000, 2000), 1, 1), self.start - timedelta(days=1)
                    )
                    if before and (e.year_founded or 2000) < self.start.year
                    else self.date_between(self.start, self.o.today - timedelta(days=20))
                )
                founding = r.randint(minimum, max(minimum, min(total, minimum + 25)))
                members = min(total, founding + r.randint(0, max(1, total // 6)))
                if kind == OrgKind.PARTY:
                    members = min(members, max(founding, total // 10 + 3), total)
                org.status = OrgStatus.FOUNDED
                org.mobilising_since = founded_on - timedelta(days=r.randint(30, 300))
                if org.mobilising_since < date(2000, 1, 1):
                    org.mobilising_since = None
                org.decision_number = f"{r.randint(1, 350)}-{N.DECISION_SUFFIX[kind.value]}"
                org.decision_date = founded_on
                org.issuing_body = r.choice(N.ISSUING_BODIES[kind.value]).format(
                    ward=ward_short, province=self.province.short_name
                )
                org.founding_members = founding
                org.members = (
                    members  # counted a while after the founding (no draw: the data stays as it was)
                )
                org.members_counted_on = min(self.o.today, founded_on + timedelta(days=180))
                org.leader = self.person()
                if r.random() < 0.03 and founded_on < self.o.today - timedelta(days=60):
                    org.status = OrgStatus.DISSOLVED
                    org.dissolved_date = self.date_between(founded_on + timedelta(days=30), self.o.today)
                out.append(org)
            elif roll < p_founded + 0.06:
                org.status = OrgStatus.MOBILISING
                org.mobilising_since = self.date_between(self.start, self.o.today)
                out.append(org)
        return out

    def admissions(self, e: Enterprise, org: Organisation) -> list[Admission]:
        r = self.rng
        if org.status != OrgStatus.FOUNDED or org.decision_date is None:
            return []
        out = []
        first = max(org.decision_date + timedelta(days=1), self.start)
        if first >= self.o.today:
            return []
        per_kind = {
            OrgKind.PARTY: (0, 2, 1),
            OrgKind.UNION: (0, 4, 12),
            OrgKind.YOUTH: (0, 3, 5),
            OrgKind.WOMEN: (0, 2, 6),
            OrgKind.VETERANS: (0, 1, 2),
        }
        lo, hi, size = per_kind[org.kind]
        for _ in range(r.randint(lo, hi)):
            out.append(
                Admission(
                    id=self.uid(),
                    enterprise_id=e.id,
                    organisation_id=org.id,
                    kind=org.kind,
                    admitted_on=self.date_between(first, self.o.today),
                    count=r.randint(1, size),
                )
            )
        return out

    def visits(self, e: Enterprise, orgs: list[Organisation]) -> list[Visit]:
        r = self.rng
        mean = self.o.visits_per_enterprise
        n = max(0, min(int(mean * 3), round(r.gauss(mean, mean / 3))))
        dates = sorted(self.date_between(self.start, self.o.today) for _ in range(n))
        out = []
        total = e.workforce_total or 0
        last_attitude = r.choice(list(Attitude))
        for i, d in enumerate(dates):
            # the workforce drifts towards today's figure
            wf = max(1, round(total * r.uniform(0.85, 1.1))) if i < len(dates) - 1 else total
            women = min(wf, round(wf * (e.workforce_women or 0) / max(total, 1)))
            under30 = min(wf, round(wf * (e.workforce_under30 or 0) / max(total, 1)))
            existing = {
                o.kind
                for o in orgs
                if o.status == OrgStatus.FOUNDED and o.decision_date and o.decision_date <= d
            }
            official = min(wf, r.randint(0, 2) + (3 if OrgKind.PARTY in existing else 0))
            probationary = min(wf - official, r.randint(0, 1))
            v = record_type(Visit)(
                id=self.uid(),
                enterprise_id=e.id,
                visit_date=d,
                collaborator=r.choice(self.collaborators),
                person_met=e.owner_name if r.random() < 0.5 else self.person(),
                person_met_title=r.choice(N.PERSON_TITLES),
                workforce_total=wf,
                workforce_women=women,
                workforce_under30=under30,
                party_official=official,
                party_probationary=probationary,
                party_total=official + probationary,
                union_members=min(wf, round(wf * r.uniform(0.3, 0.9)))
                if OrgKind.UNION in existing
                else r.randint(0, min(wf, 4)),
                youth_members=min(under30, r.randint(3, max(3, under30)))
                if OrgKind.YOUTH in existing
                else min(under30, r.randint(0, 2)),
                women_members=min(women, r.randint(0, max(0, women))) if OrgKind.WOMEN in existing else 0,
                veterans_members=min(wf, r.randint(0, 3)),
                has_party=OrgKind.PARTY in existing,
                has_union=OrgKind.UNION in existing,
                has_youth=OrgKind.YOUTH in existing,
                has_women=OrgKind.WOMEN in existing,
                has_veterans=OrgKind.VETERANS in existing,
                attitude=last_attitude if r.random() < 0.7 else r.choice(list(Attitude)),
                difficulties=r.choice(N.DIFFICULTIES) if r.random() < 0.6 else None,
                proposals=r.choice(N.PROPOSALS) if r.random() < 0.5 else None,
                next_step=r.choice(N.NEXT_STEPS),
                next_visit_date=d + timedelta(days=r.randint(14, 120)),
            )
            last_attitude = v.attitude  # type: ignore[assignment]
            out.append(v)
        return out

    def targets(self, orgs: list[Organisation], admissions: list[Admission]) -> list[Target]:
        """Yearly targets close to what was achieved: some reached, some exceeded, some not."""
        r = self.rng
        out = []
        for year in range(self.start.year, self.o.today.year + 1):
            for kind in OrgKind:
                founded = sum(
                    1 for o in orgs if o.kind == kind and o.decision_date and o.decision_date.year == year
                )
                admitted = sum(
                    a.count
                    for a in admissions
                    if a.kind == kind and a.admitted_on and a.admitted_on.year == year
                )
                for metric, achieved in (
                    (TargetMetric.ORGANISATIONS, founded),
                    (TargetMetric.MEMBERS, admitted),
                ):
                    target = max(1, round(achieved * r.uniform(0.8, 1.25))) if achieved else r.randint(0, 2)
                    out.append(
                        Target(
                            id=self.uid(),
                            unit_code=self.ward.code,
                            year=year,
                            kind=kind,
                            metric=metric,
                            value=target,
                        )
                    )
        return out


class _Development:
    """What to do next (issue 17) in the demo: founding opportunities, the pool of candidates for the
    Party on the visits, probation and its conversion, yearly quality levels, appointments around today.

    Its own random stream and ids, drawn after an enterprise's other records: the records the demo
    made before this existed stay as they were."""

    def __init__(self, g: _Gen):
        self.g = g
        o = g.o
        self.rng = random.Random(f"khaosat-demo-next:{o.ward_code}:{o.seed}")
        self._epoch = g._epoch + 500_000_000
        self._tick = 0

    def uid(self) -> str:
        self._tick += 1
        return str(uuid7(self._epoch + self._tick, self.rng.getrandbits(74)))

    def apply(
        self, e: Enterprise, orgs: list[Organisation], adms: list[Admission], visits: list[Visit]
    ) -> list[QualityRating]:
        self.opportunity(e, orgs, visits)
        due = self.probation_due(e, orgs)
        self.pipeline(e, orgs, adms + due, visits)
        self.appointment(e, visits)
        self.conversions(adms)
        adms.extend(due)
        return self.ratings(orgs)

    def opportunity(self, e: Enterprise, orgs: list[Organisation], visits: list[Visit]) -> None:
        """Some enterprises without an organisation of a kind were found, on their last visits, with
        enough members to found one."""
        r = self.rng
        if not visits or e.status != EnterpriseStatus.ACTIVE:
            return
        founded = {o.kind for o in orgs if o.status in (OrgStatus.FOUNDED, OrgStatus.DISSOLVED)}
        last = visits[-(1 + (len(visits) > 1 and r.random() < 0.5)) :]  # the last one or two visits
        wf = last[-1].workforce_total or 0
        if OrgKind.PARTY not in founded and wf >= 8 and r.random() < 0.12:
            official = r.randint(3, min(6, wf - 2))
            for v in last:
                probationary = min(v.party_probationary or 0, (v.workforce_total or 0) - official)
                v.party_official, v.party_probationary = official, max(0, probationary)
                v.party_total = official + v.party_probationary
        if OrgKind.UNION not in founded and wf >= 10 and r.random() < 0.15:
            n = r.randint(5, min(wf, 40))
            for v in last:
                v.union_members = min(n, v.workforce_total or 0)
        if OrgKind.YOUTH not in founded and r.random() < 0.08:
            for v in last:
                young = v.workforce_under30 or 0
                if young >= 3:
                    v.youth_members = r.randint(3, min(young, 15))

    def pipeline(
        self, e: Enterprise, orgs: list[Organisation], adms: list[Admission], visits: list[Visit]
    ) -> None:
        """The pool of candidates for the Party, counted on each visit where someone follows it."""
        r = self.rng
        party = any(o.kind == OrgKind.PARTY and o.status == OrgStatus.FOUNDED for o in orgs)
        if not visits or not (party or e.owner_is_party_member or r.random() < 0.15):
            return
        pool = r.randint(0, max(1, (e.workforce_total or 0) // 25 + 2))
        admitted = [a for a in adms if a.kind == OrgKind.PARTY and a.admitted_on is not None]
        for v in visits:
            if v.visit_date is None:
                continue
            pool = max(0, pool + r.randint(-1, 2))
            wf = v.workforce_total or 0
            v.candidates_identified = min(pool, wf)
            v.candidates_trained = r.randint(0, v.candidates_identified)
            v.candidates_applied = r.randint(0, v.candidates_trained)
            since = date(v.visit_date.year, 1, 1)
            this_year = sum(a.count for a in admitted if since <= a.admitted_on <= v.visit_date)  # type: ignore[operator]
            v.candidates_admitted = min(this_year, v.party_total or 0)

    def appointment(self, e: Enterprise, visits: list[Visit]) -> None:
        """The last visit of an enterprise visited lately set its next visit around today: some this week,
        some overdue, some later; some set none."""
        r = self.rng
        if not visits or visits[-1].visit_date is None:
            return
        v = visits[-1]
        visited = v.visit_date
        assert visited is not None
        today = self.g.o.today
        if (today - visited).days > 150:
            if r.random() < 0.7:  # most enterprises visited long ago wait without an appointment
                v.next_visit_date = None
            return
        if r.random() < 0.15:
            v.next_visit_date = None
            return
        day = today + timedelta(days=r.randint(-35, 45))
        v.next_visit_date = min(max(day, visited + timedelta(days=7)), visited + timedelta(days=180))

    def conversions(self, adms: list[Admission]) -> None:
        """Party admissions whose probation has ended were mostly recognised as official."""
        r = self.rng
        today = self.g.o.today
        for a in adms:
            if a.kind != OrgKind.PARTY or a.admitted_on is None:
                continue
            due = due_on(a.admitted_on)
            if due > today or r.random() < 0.15:
                continue  # still probationary: due later, or overdue
            a.official_on = min(today, due + timedelta(days=r.randint(0, 40)))
            a.official_decision = f"{r.randint(1, 400)}-QĐ/ĐU"
            if a.count > 1 and r.random() < 0.1:
                a.official_count = a.count - 1

    def probation_due(self, e: Enterprise, orgs: list[Organisation]) -> list[Admission]:
        """Some Party organisations admitted members about a year ago: their probation ends around today
        (some days ago, not yet decided on, or within the coming weeks), so the work list has some."""
        r = self.rng
        today = self.g.o.today
        out: list[Admission] = []
        for o in orgs:
            if o.kind != OrgKind.PARTY or o.status != OrgStatus.FOUNDED or o.decision_date is None:
                continue
            admitted_on = add_months(today, -PROBATION_MONTHS) + timedelta(days=r.randint(-30, 40))
            if admitted_on <= o.decision_date or r.random() >= 0.3:
                continue
            out.append(
                Admission(
                    id=self.uid(),
                    enterprise_id=e.id,
                    organisation_id=o.id,
                    kind=OrgKind.PARTY,
                    admitted_on=admitted_on,
                    count=r.randint(1, 2),
                )
            )
        return out

    def ratings(self, orgs: list[Organisation]) -> list[QualityRating]:
        """Each organisation's quality level for every full year it existed in the demo's period."""
        r = self.rng
        out = []
        levels = list(QualityLevel)
        for o in orgs:
            if o.status not in (OrgStatus.FOUNDED, OrgStatus.DISSOLVED) or o.decision_date is None:
                continue
            last = o.dissolved_date.year - 1 if o.dissolved_date else self.g.o.today.year - 1
            for year in range(max(o.decision_date.year, self.g.start.year - 1), last + 1):
                if r.random() < 0.1:
                    continue  # not rated (yet) that year
                out.append(
                    QualityRating(
                        id=self.uid(),
                        enterprise_id=o.enterprise_id,
                        organisation_id=o.id,
                        kind=o.kind,
                        year=year,
                        level=r.choices(levels, [15, 55, 25, 5])[0],
                    )
                )
        return out


def _ascii(text: str) -> str:
    from app.domain.text import fold

    return fold(text)


# The fields _Gen and _Development give values that hang together. A field declared on these records and
# not listed here is filled from its declaration (``declared_value``) until someone models it here.
MODELLED: dict[str, frozenset[str]] = {
    "enterprises": frozenset(
        [
            "name",
            "short_name",
            "tax_code",
            "legal_form",
            "fdi",
            "vsic_section",
            "address",
            "ward_code",
            "phone",
            "email",
            "owner_name",
            "owner_is_party_member",
            "year_founded",
            "workforce_total",
            "workforce_women",
            "workforce_under30",
            "status",
            "note",
        ]
    ),
    "visits": frozenset(
        [
            "enterprise_id",
            "visit_date",
            "collaborator",
            "person_met",
            "person_met_title",
            "workforce_total",
            "workforce_women",
            "workforce_under30",
            "party_total",
            "party_official",
            "party_probationary",
            "candidates_identified",
            "candidates_trained",
            "candidates_applied",
            "candidates_admitted",
            "union_members",
            "youth_members",
            "women_members",
            "veterans_members",
            "has_party",
            "has_union",
            "has_youth",
            "has_women",
            "has_veterans",
            "attitude",
            "difficulties",
            "proposals",
            "next_step",
            "next_visit_date",
        ]
    ),
}


def declared_value(info: FieldInfo, record: Record, rng: random.Random, today: date) -> object:
    """A plausible value of a field from its declaration alone (None when there is none to give: free
    text, dates, codes): a count or number within its bounds, below the wholes it is part of (none when
    a whole is empty); a year up to this one; a choice among its own; yes or no; a phone number."""
    kind = info.kind
    if kind in (Kind.COUNT, Kind.INTEGER):
        low = info.minimum if isinstance(info.minimum, int) else 0
        high = info.maximum if info.maximum is not None else low + 100
        for whole in info.not_above:
            value = getattr(record, whole, None)
            if not isinstance(value, int):
                return None
            high = min(high, value // 5)  # a part: a fifth of the whole at most
        return rng.randint(low, high) if high >= low else None
    if kind is Kind.YEAR:
        low = info.minimum if isinstance(info.minimum, int) else 1990
        return rng.randint(min(low, today.year), today.year)
    if kind is Kind.CHOICE:
        if info.enum is not None:
            return rng.choice(list(info.enum))
        return rng.choice(info.choices)[0] if info.choices else None
    if kind is Kind.YES_NO:
        return rng.random() < 0.3
    if kind is Kind.PHONE:
        return f"09{rng.randint(10_000_000, 99_999_999)}"
    return None


def fill_declared(record: Record, seed: int, today: date) -> None:
    """Give the fields not in ``MODELLED`` a value from their declaration (each from its own random
    stream: the modelled values, and so every existing demo set, stay as they were)."""
    for info in _unmodelled(type(record)):
        rng = random.Random(f"{seed}/{record.id}/{info.name}")
        setattr(record, info.name, declared_value(info, record, rng, today))


@functools.cache
def _unmodelled(cls: type[Record]) -> tuple[FieldInfo, ...]:
    """The entry fields of ``cls`` the generator does not model (none for the shipped records: a
    province's demo data costs nothing more)."""
    modelled = MODELLED.get(cls.TABLE)
    if modelled is None:
        return ()
    return tuple(i for i in fields_of(cls) if i.name not in modelled and i.entry)


def generate(store: Store, opts: DemoOptions, progress: Progress | None = None) -> DemoResult:
    """Fill ``opts.ward_code`` with demo data in one transaction. Returns the counts written."""
    g = _Gen(opts)
    nxt = _Development(g)
    result = DemoResult()
    records: list[Record] = []
    all_orgs: list[Organisation] = []
    all_adm: list[Admission] = []
    batch = 5000
    with store.write(opts.author) as w:
        # targets already set for this ward and year stay: the demo only adds the missing ones
        for i in range(opts.enterprises):
            e = g.enterprise()
            orgs = g.organisations(e)
            adms = [a for o in orgs for a in g.admissions(e, o)]
            visits = g.visits(e, orgs)
            ratings = nxt.apply(e, orgs, adms, visits)
            for rec in (e, *visits):
                fill_declared(rec, opts.seed, opts.today)
            records.append(e)
            records.extend(orgs)
            records.extend(adms)
            records.extend(visits)
            records.extend(ratings)
            result.ratings += len(ratings)
            all_orgs.extend(orgs)
            all_adm.extend(adms)
            result.enterprises += 1
            result.organisations += len(orgs)
            result.admissions += len(adms)
            result.visits += len(visits)
            if len(records) >= batch:
                w.create_many(records)
                records = []
                if progress:
                    progress(i + 1, opts.enterprises)
        existing = {
            (row[0], row[1], row[2])
            for row in store.conn.execute(
                "SELECT year, kind, metric FROM targets WHERE unit_code = ? AND deleted = 0", (g.ward.code,)
            )
        }
        targets = [
            t for t in g.targets(all_orgs, all_adm) if (t.year, t.kind.value, t.metric.value) not in existing
        ]
        records.extend(targets)
        result.targets = len(targets)
        w.create_many(records)
        if progress:
            progress(opts.enterprises, opts.enterprises)
    result.changes = w.changes
    return result


def next_seed(store: Store) -> int:
    """A seed that gives records other than those already in the file (every enterprise ever kept, plus one)."""
    return int(store.conn.execute("SELECT count(*) FROM enterprises").fetchone()[0]) + 1
