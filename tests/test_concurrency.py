"""Two people saving the same value at the same moment, on two database connections.

On PostgreSQL the rows are really locked (SELECT … FOR UPDATE) and the second save waits
for the first to commit; SQLite serialises writers itself. Either way the second save is
refused and the first one's value stays."""

import threading
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import translation

from kpis import services
from kpis.models import Actual, Kpi

pytestmark = pytest.mark.django_db(transaction=True)


def _entry(program, value, seen_version):
    kpi = Kpi.objects.prefetch_related("targets").get(program=program, code="1.1.3")
    return services.Entry(kpi=kpi, value=D(value), seen_version=seen_version)


def _race(program, seen_version: int) -> tuple[list, list]:
    """The planner's save holds its transaction open while the head saves."""
    planner, head = User.objects.get(username="planner"), User.objects.get(username="head")
    first_saved, second_started = threading.Event(), threading.Event()
    results, errors = [], []

    def first():
        try:
            with translation.override("en"), transaction.atomic():
                services.save_entries(
                    user=planner,
                    program=program,
                    year=2025,
                    entries=[_entry(program, 71, seen_version)],
                )
                first_saved.set()
                second_started.wait(5)
                threading.Event().wait(0.3)  # let the second save reach the lock
            results.append("first")
        finally:
            first_saved.set()
            connection.close()

    def second():
        first_saved.wait(5)
        second_started.set()
        try:
            with translation.override("en"):
                services.save_entries(
                    user=head,
                    program=program,
                    year=2025,
                    entries=[_entry(program, 65, seen_version)],
                )
            results.append("second")
        except services.EntryErrors as exc:
            errors.extend(exc.errors.values())
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    return results, errors


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks between connections are tested on PostgreSQL")


def test_second_concurrent_save_of_an_existing_value_is_refused(program, postgres_only):
    head = User.objects.get(username="head")
    services.save_entries(user=head, program=program, year=2025, entries=[_entry(program, 70, 0)])

    results, errors = _race(program, seen_version=1)

    assert results == ["first"]
    assert len(errors) == 1 and "Someone else" in errors[0][0]
    actual = Actual.objects.get(kpi__program=program, kpi__code="1.1.3", year=2025)
    assert (actual.value, actual.version) == (71, 2)
    assert actual.history.count() == 2


def test_second_concurrent_creation_is_refused(program, postgres_only):
    results, errors = _race(program, seen_version=0)

    assert results == ["first"]
    assert len(errors) == 1 and "Someone else" in errors[0][0]
    actual = Actual.objects.get(kpi__program=program, kpi__code="1.1.3", year=2025)
    assert actual.value == 71
