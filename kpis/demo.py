"""Demo units, accounts, assignments and contributions for `make run` (never for
production)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.db import transaction

from directions.models import Program
from kpis import roles
from kpis.models import (
    Actual,
    Calculation,
    Contribution,
    Input,
    Kpi,
    OrgUnit,
    OrgUnitKind,
    ReportingYear,
)
from kpis.reasons import Reason, recorded
from kpis.signals import data_changed


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    full_name: str


DEMO_ACCOUNTS = [
    DemoAccount("planner", "planner-demo", roles.PLANNING_OFFICE, "Айгүл Серікова"),
    DemoAccount("head", "head-demo", roles.DEPARTMENT_HEAD, "Ерлан Жұмабаев"),
    DemoAccount("head2", "head2-demo", roles.DEPARTMENT_HEAD, "Мәдина Оспанова"),
    DemoAccount("rector", "rector-demo", roles.RECTORS_OFFICE, "Бақыт Нұрланов"),
]

# unit code → ((Kazakh, Russian, English name), heads, task numbers it owns)
DEMO_UNITS = {
    "academic": (
        (
            "Академиялық мәселелер департаменті",
            "Департамент по академическим вопросам",
            "Academic Affairs Department",
        ),
        ["head"],
        ["1.1", "1.2", "1.3"],
    ),
    "digital": (
        ("Цифрландыру орталығы", "Центр цифровизации", "Digitalisation Centre"),
        ["head"],
        ["1.4"],
    ),
    "science": (
        (
            "Ғылым және инновациялар департаменті",
            "Департамент науки и инноваций",
            "Science and Innovation Department",
        ),
        ["head2"],
        ["2.1", "2.2", "2.3", "2.4"],
    ),
    "international": (
        (
            "Халықаралық ынтымақтастық бөлімі",
            "Отдел международного сотрудничества",
            "International Cooperation Office",
        ),
        [],
        ["3.1", "3.2", "3.3"],
    ),
    "youth": (
        (
            "Тәрбие және жастар саясаты бөлімі",
            "Отдел воспитательной работы и молодежной политики",
            "Student Life and Youth Policy Office",
        ),
        [],
        ["4.1", "4.2", "4.3"],
    ),
    "finance": (
        (
            "Қаржы-экономикалық департамент",
            "Финансово-экономический департамент",
            "Finance and Economics Department",
        ),
        [],
        ["5.1", "5.2", "5.3"],
    ),
}


@transaction.atomic
def setup_demo(program: Program) -> list[DemoAccount]:
    """Create (or reset) the demo accounts, units and KPI assignments."""
    users = {account.username: _account(account) for account in DEMO_ACCOUNTS}
    for code, ((kk, ru, en), heads, tasks) in DEMO_UNITS.items():
        unit, _created = OrgUnit.objects.update_or_create(
            code=code, defaults={"name_kk": kk, "name_ru": ru, "name_en": en, "name": kk}
        )
        unit.heads.set([users[h] for h in heads])
        for kpi in Kpi.objects.filter(program=program, task__number__in=tasks, owner__isnull=True):
            kpi.owner = unit
            kpi._change_reason = recorded(Reason.DEMO)
            kpi.save()
    return DEMO_ACCOUNTS


def _account(account: DemoAccount) -> User:
    first, _space, last = account.full_name.partition(" ")
    user, _created = User.objects.get_or_create(username=account.username)
    user.first_name, user.last_name = first, last
    user.is_active = True
    user.is_staff = account.role == roles.PLANNING_OFFICE
    user.set_password(account.password)
    user.save()
    user.groups.set([Group.objects.get(name=account.role)])
    return user


# How far each demo value lands from its target, picked by the KPI's position so the
# demo shows every status: achieved, close and behind.
DEMO_FACTORS = [Decimal("1.08"), Decimal("1.00"), Decimal("0.94"), Decimal("1.02"), Decimal("0.78")]
DEMO_EXPLANATION = "Демо: мақсатқа жету үшін қосымша шаралар жоспарланды."
DEMO_COMMENT = "Демо деректер"


@transaction.atomic
def setup_demo_calendar(program: Program) -> ReportingYear | None:
    """A reporting window for the year being reported, so the demo shows its deadline:
    opened 60 days ago, due in 14 days, closing in 45. A window the planning office set
    is kept."""
    from datetime import timedelta

    from django.utils import timezone

    from kpis import services

    year = services.latest_open_year(program)
    row = ReportingYear.objects.filter(program=program, year=year).first()
    if year is None or (row is not None and row.due is not None):
        return None
    today = timezone.localdate()
    return services.set_calendar(
        user=User.objects.get(username="planner"),
        program=program,
        year=year,
        opens=today - timedelta(days=60),
        due=today + timedelta(days=14),
        closes=today + timedelta(days=45),
        keep_open=False,
    )


def setup_demo_values(program: Program) -> int:
    """Demo actual values for 2023 (approved) and 2024 (every workflow state), entered
    and reviewed through the real workflow so that their history looks like real use.
    KPIs calculated from inputs get none: their value comes from the demo's parts.

    Runs only while the program has no actual values, so it never overwrites real work."""
    if Actual.objects.filter(kpi__program=program).exists():
        return 0
    planner = User.objects.get(username="planner")
    kpis = list(
        # A calculated KPI's value comes from its parts (setup_demo_parts).
        Kpi.objects.filter(program=program, calculation__isnull=True)
        .select_related("owner")
        .prefetch_related("targets", "owner__heads")
        .order_by("code")
    )
    created = 0
    ReportingYear.objects.filter(program=program, year__in=[2023, 2024]).update(is_open=True)
    for year in (2023, 2024):
        for index, kpi in enumerate(kpis):
            plan = _demo_plan(year, index)
            if plan is None:
                continue
            value = _demo_value(kpi, year, DEMO_FACTORS[(index + year) % len(DEMO_FACTORS)])
            if value is None:
                continue
            heads = list(kpi.owner.heads.all()) if kpi.owner else []
            author = heads[0] if heads else planner
            _demo_entry(kpi, year, value, author, planner, plan)
            created += 1
    Actual.objects.filter(kpi__program=program).update(is_demo=True)
    data_changed.send(sender=Actual)  # QuerySet.update sends no post_save
    return created


def _demo_plan(year: int, index: int) -> str | None:
    if year == 2023:
        return "approved"
    return ["approved", "submitted", "approved", "draft", None, "returned", "submitted"][index % 7]


def _demo_value(kpi: Kpi, year: int, factor: Decimal) -> tuple | None:
    target = next((t for t in kpi.targets.all() if t.year == year), None)
    if target is None or target.value is None:
        return None
    measure = kpi.measure
    judged = measure.judged(target.value, target.value2)
    lower_is_better = kpi.sense in ("at_most", "rank")
    return measure.from_judged(judged / factor if lower_is_better else judged * factor)


def _demo_entry(kpi: Kpi, year: int, value: tuple, author: User, planner: User, plan: str) -> None:
    # Imported here: services import this module's neighbours, not the other way round.
    from kpis import services

    entry = services.Entry(
        kpi=kpi,
        value=value[0],
        value2=value[1],
        comment=DEMO_COMMENT,
        explanation=DEMO_EXPLANATION if services.misses_target(kpi, year, *value) else "",
        submit=plan != "draft",
    )
    (actual,) = services.save_entries(user=author, program=kpi.program, year=year, entries=[entry])
    if plan == "approved":
        services.approve(user=planner, actual=actual)
    elif plan == "returned":
        services.return_for_revision(
            user=planner,
            actual=actual,
            reason="Демо: растайтын құжатты тіркеңіз (бұйрық немесе есеп).",
        )


# --- The tree of units and the calculated KPIs' parts (make run only) -----------------

DEMO_PART_ACCOUNTS = [
    DemoAccount("dean", "dean-demo", roles.DEPARTMENT_HEAD, "Нұржан Әбдірахманов"),
    DemoAccount("dephead", "dephead-demo", roles.DEPARTMENT_HEAD, "Гүлнар Тоқтарова"),
]
UNIVERSITY = (
    "metu",
    (
        "Халықаралық инженерлік-технологиялық университеті",
        "Международный инженерно-технологический университет",
        "International Engineering-Technological University",
    ),
)
# faculty code → (names, head, {department code: (names, head)})
DEMO_FACULTIES = {
    "fac-energy": (
        (
            "Энергетика және машина жасау факультеті",
            "Факультет энергетики и машиностроения",
            "Faculty of Energy and Mechanical Engineering",
        ),
        "dean",
        {
            "dep-power": (
                (
                    "Электр энергетикасы кафедрасы",
                    "Кафедра электроэнергетики",
                    "Department of Electric Power Engineering",
                ),
                "dephead",
            ),
            "dep-mechanical": (
                (
                    "Машина жасау және стандарттау кафедрасы",
                    "Кафедра машиностроения и стандартизации",
                    "Department of Mechanical Engineering and Standardisation",
                ),
                None,
            ),
        },
    ),
    "fac-it": (
        (
            "Ақпараттық технологиялар факультеті",
            "Факультет информационных технологий",
            "Faculty of Information Technology",
        ),
        None,
        {
            "dep-computer": (
                (
                    "Компьютерлік инженерия кафедрасы",
                    "Кафедра компьютерной инженерии",
                    "Department of Computer Engineering",
                ),
                None,
            ),
            "dep-information": (
                (
                    "Ақпараттық жүйелер кафедрасы",
                    "Кафедра информационных систем",
                    "Department of Information Systems",
                ),
                None,
            ),
        },
    ),
}
# Each department's teaching staff and students in 2023 (they grow a little each year),
# and how far its shares land from the KPI's target.
DEMO_DEPARTMENTS = {
    "dep-power": (34, 820, Decimal("1.05")),
    "dep-mechanical": (29, 760, Decimal("0.92")),
    "dep-computer": (38, 905, Decimal("1.10")),
    "dep-information": (27, 690, Decimal("0.97")),
}
DEMO_INCOME_2023 = Decimal(6_480_000)  # thousand tenge
DEMO_PART_COMMENT = "Демо: кадрлар бөлімінің және тіркеу бөлімінің деректері"


@transaction.atomic
def setup_demo_parts(program: Program) -> dict:
    """Two faculties with two departments each under the university, the offices
    beside them; the proposed definitions, reported by the departments (and income by
    the finance department); contributions for 2023 and 2024 approved and for 2025
    partly submitted, so that a calculated KPI shows as partial. Contributions are
    made only while the program has none, so real work is never overwritten."""
    from kpis.definitions import load_definitions, read_definitions

    users = {account.username: _account(account) for account in DEMO_PART_ACCOUNTS}
    code, (kk, ru, en) = UNIVERSITY
    root = _demo_unit(code, (kk, ru, en), OrgUnitKind.UNIVERSITY, None)
    OrgUnit.objects.filter(code__in=DEMO_UNITS).update(parent=root, kind=OrgUnitKind.OFFICE)
    departments = []
    for faculty_code, (names, head, members) in DEMO_FACULTIES.items():
        faculty = _demo_unit(faculty_code, names, OrgUnitKind.FACULTY, root)
        faculty.heads.set([users[head]] if head else [])
        for department_code, (department_names, department_head) in members.items():
            department = _demo_unit(
                department_code, department_names, OrgUnitKind.DEPARTMENT, faculty
            )
            department.heads.set([users[department_head]] if department_head else [])
            departments.append(department)
    report = load_definitions(program, read_definitions())
    inputs = {item.code: item for item in Input.objects.filter(program=program)}
    finance = OrgUnit.objects.filter(code="finance").first()
    for item in inputs.values():
        if item.reporters.exists():
            continue  # the planning office chose already
        if item.unit == "money":
            item.reporters.set([finance] if finance else [])
        else:
            item.reporters.set(departments)
    data_changed.send(sender=OrgUnit)  # QuerySet.update sends no post_save
    created = 0
    if not Contribution.objects.filter(input__program=program).exists():
        created = _demo_contributions(program, inputs, departments, finance)
    return {"inputs": len(report.created_inputs), "contributions": created}


def _demo_unit(code: str, names: tuple, kind: str, parent: OrgUnit | None) -> OrgUnit:
    kk, ru, en = names
    unit, _created = OrgUnit.objects.update_or_create(
        code=code,
        defaults={
            "name_kk": kk,
            "name_ru": ru,
            "name_en": en,
            "kind": kind,
            "parent": parent,
            "is_demo": True,
        },
    )
    return unit


def _demo_contributions(program, inputs, departments, finance) -> int:
    from kpis import services

    planner = User.objects.get(username="planner")
    ReportingYear.objects.filter(program=program, year__in=[2023, 2024, 2025]).update(is_open=True)
    shares = {
        calculation.kpi: (
            [i.code for i in calculation.numerator.all()],
            [i.code for i in calculation.denominator.all()],
        )
        for calculation in Calculation.objects.filter(kpi__program=program)
        .select_related("kpi")
        .prefetch_related("numerator", "denominator", "kpi__targets")
    }
    created = 0
    for year in (2023, 2024, 2025):
        growth = Decimal("1.04") ** (year - 2023)
        by_unit: dict[OrgUnit, dict[str, Decimal]] = {}
        for department in departments:
            staff, students, factor = DEMO_DEPARTMENTS[department.code]
            totals = {
                "teaching-staff": _whole(staff * growth),
                "students": _whole(students * growth),
                "postgraduates": _whole(students * growth * Decimal("0.012")),
            }
            by_unit[department] = totals | _numerators(shares, year, totals, factor, "persons")
        if finance is not None:
            totals = {"income-total": _whole(DEMO_INCOME_2023 * growth)}
            by_unit[finance] = totals | _numerators(shares, year, totals, Decimal(1), "money")
        for unit, values in by_unit.items():
            plan = _demo_part_plan(year, unit)
            if plan is None:
                continue
            heads = list(unit.heads.all())
            author = heads[0] if heads else planner
            entries = [
                services.Entry(
                    input=inputs[code],
                    unit=unit,
                    value=value,
                    comment=DEMO_PART_COMMENT,
                    submit=plan != "draft",
                )
                for code, value in values.items()
                if code in inputs and inputs[code].reporters.filter(pk=unit.pk).exists()
            ]
            rows = services.save_entries(user=author, program=program, year=year, entries=entries)
            created += len(rows)
            if plan == "approved":
                for row in rows:
                    services.approve(user=planner, actual=row)
    Contribution.objects.filter(input__program=program).update(is_demo=True)
    data_changed.send(sender=Contribution)  # QuerySet.update sends no post_save
    return created


def _demo_part_plan(year: int, unit: OrgUnit) -> str | None:
    """2023 and 2024 approved; in 2025 the IT faculty's departments and the finance
    department have submitted, the power department has a draft and the mechanical
    one nothing yet: the university's figures are partial, the IT faculty's complete."""
    if year < 2025:
        return "approved"
    return {"dep-power": "draft", "dep-mechanical": None}.get(unit.code, "submitted")


def _numerators(shares, year, totals, factor, unit) -> dict[str, Decimal]:
    """Each share's numerator for a unit, so that the unit's share lands near the
    KPI's target for the year (times the unit's factor)."""
    found = {}
    for kpi, (numerator, denominator) in shares.items():
        if len(numerator) != 1 or not set(denominator) <= set(totals):
            continue
        target = next((t.value for t in kpi.targets.all() if t.year == year), None)
        if target is None:
            continue
        base = sum((totals[code] for code in denominator), Decimal(0))
        share = min(target * factor, Decimal(100)) if unit == "persons" else target * factor
        found[numerator[0]] = min(_whole(base * share / 100), base)
    return found


def _whole(number: Decimal) -> Decimal:
    return Decimal(number).quantize(Decimal(1))
