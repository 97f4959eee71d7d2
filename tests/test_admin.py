"""Every admin page opens for a superuser and for the planning office."""

from datetime import UTC, datetime

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from kpis.models import Actual, Kpi

WRITTEN = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.fixture
def superuser_client(program, client):
    user = User.objects.create_superuser("root", "root@example.org", "x")
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "model, model_admin", REGISTERED, ids=[m._meta.label for m, _ in REGISTERED]
)
def test_changelist_add_change_and_history_open(model, model_admin, superuser_client, rf):
    opts = model._meta
    base = f"admin:{opts.app_label}_{opts.model_name}"
    assert superuser_client.get(reverse(f"{base}_changelist")).status_code == 200
    request = rf.get("/")
    request.user = User.objects.get(username="root")
    if model_admin.has_add_permission(request):
        assert superuser_client.get(reverse(f"{base}_add")).status_code == 200
    obj = model._default_manager.first()
    if obj is not None:
        assert superuser_client.get(reverse(f"{base}_change", args=[obj.pk])).status_code == 200
        assert superuser_client.get(reverse(f"{base}_history", args=[obj.pk])).status_code == 200


def test_kpi_list_has_the_planning_columns_and_filters(superuser_client, program):
    direction = program.directions.get(number=2)
    url = reverse("admin:kpis_kpi_changelist")
    response = superuser_client.get(url, {"direction": direction.pk})
    page = response.content.decode()
    assert response.status_code == 200
    assert "24 " in page or ">24<" in page  # the 24 KPIs of direction 2
    for column in [
        "column-code",
        "column-short_name",
        "column-unit",
        "column-sense",
        "column-owner",
    ]:
        assert column in page
    response = superuser_client.get(url, {"q": "Хирш"})
    assert "2.4.2" in response.content.decode()


def test_kpi_page_shows_seven_targets_inline(superuser_client, program):
    kpi = Kpi.objects.get(program=program, code="1.1.2")
    response = superuser_client.get(reverse("admin:kpis_kpi_change", args=[kpi.pk]))
    page = response.content.decode()
    assert page.count('name="targets-') >= 7 * 4
    assert "99,5/0,5" in page


def test_planning_office_can_open_the_admin(planner):
    assert planner.get(reverse("admin:kpis_kpi_changelist")).status_code == 200


@pytest.mark.parametrize("who", ["head", "rector"])
def test_others_cannot_use_the_admin(who, request):
    client = request.getfixturevalue(who)
    response = client.get(reverse("admin:kpis_kpi_changelist"))
    assert response.status_code == 302


# --- What the database itself refuses ---------------------------------------------------


@pytest.mark.parametrize(
    "state, stamps",
    [
        ("approved", ["submitted_at"]),
        ("approved", ["approved_at"]),
        ("submitted", []),
    ],
)
def test_the_database_refuses_a_published_value_without_its_stamps(program, state, stamps):
    kpi = Kpi.objects.get(program=program, code="1.1.3")
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        Actual.objects.create(
            kpi=kpi, year=2025, value=70, state=state, **dict.fromkeys(stamps, now)
        )


def test_the_database_keeps_an_approved_value_whose_approver_was_deleted(program):
    kpi = Kpi.objects.get(program=program, code="1.1.3")
    approver = User.objects.create_user("leaving")
    now = timezone.now()
    actual = Actual.objects.create(
        kpi=kpi,
        year=2025,
        value=70,
        state="approved",
        submitted_at=now,
        approved_at=now,
        approved_by=approver,
    )
    approver.delete()
    actual.refresh_from_db()
    assert (actual.state, actual.approved_by) == ("approved", None)


@pytest.mark.django_db(transaction=True)
def test_the_constraint_migration_stamps_rows_written_around_the_workflow(program):
    """Values the old admin import wrote without stamps: the migration gives them the time
    they were last written, so the constraints can be added to a live database."""
    executor = MigrationExecutor(connection)
    executor.migrate([("kpis", "0005_translations")])
    kpi = Kpi.objects.get(program=program, code="1.1.3")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO kpis_actual (kpi_id, year, value, state, comment, explanation,"
            " return_reason, updated_at, version, is_demo)"
            " VALUES (%s, 2024, 65, 'approved', '', '', '', %s, 1, %s),"
            " (%s, 2025, 66, 'submitted', '', '', '', %s, 1, %s)",
            [kpi.pk, WRITTEN, False, kpi.pk, WRITTEN, False],
        )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    approved = Actual.objects.get(kpi=kpi, year=2024)
    submitted = Actual.objects.get(kpi=kpi, year=2025)
    assert (approved.submitted_at, approved.approved_at, approved.value) == (WRITTEN, WRITTEN, 65)
    assert (submitted.submitted_at, submitted.approved_at) == (WRITTEN, None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Actual.objects.filter(pk=approved.pk).update(approved_at=None)
