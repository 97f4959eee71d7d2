"""Demo units, accounts and assignments for `make run` (never for production)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.db import transaction

from directions.models import Program
from kpis import roles
from kpis.models import Actual, Kpi, OrgUnit, ReportingYear
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
def setup_demo_values(program: Program) -> int:
    """Demo actual values for 2023 (approved) and 2024 (every workflow state), entered
    and reviewed through the real workflow so that their history looks like real use.

    Runs only while the program has no actual values, so it never overwrites real work."""
    if Actual.objects.filter(kpi__program=program).exists():
        return 0
    planner = User.objects.get(username="planner")
    kpis = list(
        Kpi.objects.filter(program=program)
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
