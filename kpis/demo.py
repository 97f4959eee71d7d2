"""Demo units, accounts and assignments for `make run` (never for production)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group, User
from django.db import transaction

from directions.models import Program
from kpis import roles
from kpis.models import Kpi, OrgUnit


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

# unit code → (name, heads, task numbers it owns)
DEMO_UNITS = {
    "academic": ("Академиялық мәселелер департаменті", ["head"], ["1.1", "1.2", "1.3"]),
    "digital": ("Цифрландыру орталығы", ["head"], ["1.4"]),
    "science": ("Ғылым және инновациялар департаменті", ["head2"], ["2.1", "2.2", "2.3", "2.4"]),
    "international": ("Халықаралық ынтымақтастық бөлімі", [], ["3.1", "3.2", "3.3"]),
    "youth": ("Тәрбие және жастар саясаты бөлімі", [], ["4.1", "4.2", "4.3"]),
    "finance": ("Қаржы-экономикалық департамент", [], ["5.1", "5.2", "5.3"]),
}


@transaction.atomic
def setup_demo(program: Program) -> list[DemoAccount]:
    """Create (or reset) the demo accounts, units and KPI assignments."""
    users = {account.username: _account(account) for account in DEMO_ACCOUNTS}
    for code, (name, heads, tasks) in DEMO_UNITS.items():
        unit, _created = OrgUnit.objects.update_or_create(code=code, defaults={"name": name})
        unit.heads.set([users[h] for h in heads])
        for kpi in Kpi.objects.filter(program=program, task__number__in=tasks, owner__isnull=True):
            kpi.owner = unit
            kpi._change_reason = "Demo assignment"
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
