"""Every admin page opens for a superuser and for the planning office."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from kpis import services
from kpis.models import Actual, Evidence, Kpi, ReportingYear, Target
from tests.files import pdf_bytes, upload

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


def test_kpi_page_shows_seven_targets_read_only_each_linked_to_its_form(superuser_client, program):
    kpi = Kpi.objects.get(program=program, code="1.1.2")
    response = superuser_client.get(reverse("admin:kpis_kpi_change", args=[kpi.pk]))
    page = response.content.decode()
    for target in kpi.targets.all():
        assert reverse("admin:kpis_target_change", args=[target.pk]) in page
    assert "99,5/0,5" in page
    assert 'name="targets-0-value"' not in page and 'name="targets-0-year"' not in page


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
    # Read before migrating back: the model has columns the old schema has not.
    kpi = Kpi.objects.only("pk").get(program=program, code="1.1.3")
    executor = MigrationExecutor(connection)
    executor.migrate([("kpis", "0005_translations")])
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


# --- Values and evidence: shown, never written, in the admin -----------------------------


@pytest.fixture
def planner_en(planner):
    planner.cookies["django_language"] = "en"
    return planner


def workflow_value(program, code: str, value: str, *, approve: bool = True) -> Actual:
    """A value entered by the unit's head and, unless told, approved by the planner."""
    kpi = Kpi.objects.prefetch_related("targets").get(program=program, code=code)
    head, planner = User.objects.get(username="head"), User.objects.get(username="planner")
    entry = services.Entry(kpi=kpi, value=D(value), submit=approve, explanation="x")
    (actual,) = services.save_entries(user=head, program=program, year=2025, entries=[entry])
    if approve:
        actual = services.approve(user=planner, actual=actual)
    return actual


def test_the_change_form_of_an_approved_value_changes_nothing(planner_en, program):
    actual = workflow_value(program, "1.1.3", "70")
    url = reverse("admin:kpis_actual_change", args=[actual.pk])
    page = planner_en.get(url).content.decode()
    assert "70" in page and 'name="value"' not in page and 'name="state"' not in page
    assert reverse("kpi_detail", args=["1.1.3"]) in page
    assert "Reopen it on the review page" in page and "state=approved" in page

    for who in (planner_en, _superuser()):
        response = who.post(
            url, {"value": "150", "state": "draft", "comment": "x", "version": "1", "year": "2035"}
        )
        assert response.status_code == 403
    stored = Actual.objects.get(pk=actual.pk)
    assert (stored.value, stored.state, stored.version, stored.year) == (
        D(70),
        "approved",
        actual.version,
        2025,
    )
    assert stored.history.count() == 2  # submitted, approved: nothing from the admin


def test_a_draft_is_shown_with_a_link_to_its_entry_page(planner_en, program):
    actual = workflow_value(program, "1.1.3", "70", approve=False)
    page = planner_en.get(reverse("admin:kpis_actual_change", args=[actual.pk])).content.decode()
    assert "Edit it on the entry page" in page
    assert f"{reverse('entry')}?year=2025&amp;unit=academic" in page


def test_values_cannot_be_added_deleted_or_reverted_in_the_admin(planner_en, program):
    actual = workflow_value(program, "1.1.3", "70")
    kpi = actual.kpi
    assert planner_en.get(reverse("admin:kpis_actual_add")).status_code == 403
    assert planner_en.post(reverse("admin:kpis_actual_delete", args=[actual.pk])).status_code == 403
    planner_en.post(
        reverse("admin:kpis_actual_changelist"),
        {"action": "delete_selected", "_selected_action": [actual.pk], "post": "yes"},
    )
    first = actual.history.order_by("history_id").first()  # the submitted version
    revert = reverse("admin:kpis_actual_simple_history", args=[actual.pk, first.history_id])
    assert planner_en.get(revert).status_code == 200  # shown
    assert planner_en.post(revert, {}).status_code == 403  # never written back
    # Deleting the KPI would delete its values with it.
    planner_en.post(reverse("admin:kpis_kpi_delete", args=[kpi.pk]), {"post": "yes"})
    stored = Actual.objects.get(pk=actual.pk)
    assert (stored.state, stored.version) == ("approved", actual.version)


def test_evidence_is_read_only_in_the_admin(planner_en, program):
    actual = workflow_value(program, "1.1.3", "70", approve=False)
    evidence = services.attach_evidence(
        actual=actual, user=User.objects.get(username="head"), upload=upload("a.pdf", pdf_bytes())
    )
    change = reverse("admin:kpis_evidence_change", args=[evidence.pk])
    page = planner_en.get(change).content.decode()
    assert reverse("evidence", args=[evidence.pk]) in page and 'type="file"' not in page
    assert planner_en.get(reverse("admin:kpis_evidence_add")).status_code == 403
    assert planner_en.post(change, {"original_name": "b.pdf"}).status_code == 403
    delete = reverse("admin:kpis_evidence_delete", args=[evidence.pk])
    assert planner_en.post(delete, {"post": "yes"}).status_code == 403
    assert Evidence.objects.get(pk=evidence.pk).original_name == "a.pdf"


def _superuser():
    from django.test import Client

    client = Client()
    client.force_login(User.objects.create_superuser("root2", "r@example.org", "x"))
    return client


# --- Targets: through services.change_target and services.set_target ---------------------


def target(program, code: str, year: int) -> Target:
    return Target.objects.get(kpi__program=program, kpi__code=code, year=year)


def test_a_target_changed_in_the_admin_records_the_reason(planner_en, program):
    goal = target(program, "1.1.3", 2029)
    url = reverse("admin:kpis_target_change", args=[goal.pk])
    response = planner_en.post(url, {"value": "81,5", "value2": "", "reason": "Ministry letter 12"})
    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.value == D("81.5")
    record = goal.history.first()
    assert (record.history_change_reason, record.history_user.username) == (
        "target_changed: Ministry letter 12",
        "planner",
    )


@pytest.mark.parametrize(
    "code, value, value2, reason, message",
    [
        ("1.1.3", "82", "", "", "This field is required"),
        ("1.1.3", "150", "", "r", "between 0 and 100"),
        ("1.1.3", "-3", "", "r", "between 0 and 100"),
        ("1.1.2", "50", "10", "r", "add up to 100"),
        ("1.1.1", "10000000000", "", "r", "too large"),
        ("1.1.1", "many", "", "r", "is not a number"),
    ],
)
def test_a_target_change_without_reason_or_out_of_bounds_is_refused(
    planner_en, program, code, value, value2, reason, message
):
    goal = target(program, code, 2029)
    before = (goal.value, goal.value2, goal.history.count())
    url = reverse("admin:kpis_target_change", args=[goal.pk])
    response = planner_en.post(url, {"value": value, "value2": value2, "reason": reason})
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page and "Traceback" not in page
    goal.refresh_from_db()
    assert (goal.value, goal.value2, goal.history.count()) == before


def test_a_new_target_for_a_year_without_one_goes_through_the_service(planner_en, program):
    kpi = Kpi.objects.get(program=program, code="3.1.5")
    # The loader keeps a target row, empty or not, for every year: make room for one.
    Target.objects.filter(kpi=kpi, year=2023).delete()
    year = 2023
    url = reverse("admin:kpis_target_add")
    base = {"kpi": kpi.pk, "value": "3", "value2": "", "reason": "Added by the rector's order"}
    page = planner_en.post(url, base | {"year": "2035"}).content.decode()
    assert "within the program, 2023–2029" in page
    page = planner_en.post(url, base | {"year": "2029"}).content.decode()
    assert "already exists" in page
    assert planner_en.post(url, base | {"year": str(year)}).status_code == 302
    created = Target.objects.get(kpi=kpi, year=year)
    record = created.history.get()
    assert (created.value, record.history_change_reason, record.history_user.username) == (
        D(3),
        "target_changed: Added by the rector's order",
        "planner",
    )


def test_targets_are_not_changed_through_the_kpi_form_or_deleted(planner_en, program):
    kpi = Kpi.objects.get(program=program, code="1.1.3")
    targets = list(kpi.targets.order_by("year"))
    url = reverse("admin:kpis_kpi_change", args=[kpi.pk])
    form = planner_en.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data |= {"targets-TOTAL_FORMS": "7", "targets-INITIAL_FORMS": "7"}
    for i, goal in enumerate(targets):
        data |= {f"targets-{i}-id": goal.pk, f"targets-{i}-kpi": kpi.pk}
        data |= {f"targets-{i}-value": "1", f"targets-{i}-year": "2035"}
    assert planner_en.post(url, data).status_code == 302  # the KPI form itself was saved
    delete = reverse("admin:kpis_target_delete", args=[targets[0].pk])
    assert planner_en.post(delete, {"post": "yes"}).status_code == 403
    for goal in targets:
        stored = Target.objects.get(pk=goal.pk)
        assert (stored.year, stored.value, stored.history.count()) == (
            goal.year,
            goal.value,
            goal.history.count(),
        )


def test_opening_a_year_in_the_admin_goes_through_the_service(planner_en, program):
    row = ReportingYear.objects.get(program=program, year=2025)
    url = reverse("admin:kpis_reportingyear_change", args=[row.pk])
    assert planner_en.post(url, {"is_open": ""}).status_code == 302
    row.refresh_from_db()
    assert (row.is_open, row.changed_by.username) == (False, "planner")
    assert row.history.first().history_change_reason == "year_closed"


def test_a_year_outside_the_program_cannot_be_added(planner_en, program):
    response = planner_en.post(
        reverse("admin:kpis_reportingyear_add"),
        {"program": program.pk, "year": "2035", "is_open": "on"},
    )
    assert "within the program, 2023–2029" in response.content.decode()
    assert not ReportingYear.objects.filter(program=program, year=2035).exists()


def test_a_units_heads_are_chosen_on_the_people_pages_not_in_the_admin(planner_en, program):
    from kpis.models import OrgUnit

    unit = OrgUnit.objects.get(code="academic")
    heads = set(unit.heads.values_list("username", flat=True))
    url = reverse("admin:kpis_orgunit_change", args=[unit.pk])
    page = planner_en.get(url).content.decode()
    assert 'name="heads"' not in page
    assert reverse("unit_heads", args=[unit.pk]) in page
    assert "Ерлан Жұмабаев" in page  # shown by full name, not username
    rector = User.objects.get(username="rector")
    planner_en.post(url, {"name_kk": unit.name_kk, "code": unit.code, "heads": [rector.pk]})
    assert set(unit.heads.values_list("username", flat=True)) == heads
