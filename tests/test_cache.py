"""Cached dashboards: served from the cache, and never older than the last change."""

from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.cache import cache
from django.db import transaction
from django.test import Client

from kpis import services
from kpis.loading import load_program, read_fixture
from kpis.models import Actual, ActualState, Evidence, Kpi, OrgUnit, Target
from kpis.roles import PLANNING_OFFICE
from reports.cache import data_version
from tests.files import pdf_bytes, upload
from tests.stamps import stamps


@pytest.fixture
def cached(settings):
    settings.DASHBOARD_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rector_client(program):
    client = Client()
    client.force_login(User.objects.get(username="rector"))
    return client


def test_a_cached_dashboard_runs_fewer_queries(
    cached, rector_client, program, django_assert_max_num_queries
):
    rector_client.get("/matrix/?year=2024")
    with django_assert_max_num_queries(4):  # the session, the user, the data version, the bell
        response = rector_client.get("/matrix/?year=2024")
    assert response.status_code == 200
    assert response.content.count(b'class="cell cell-') == 80 * 7


def test_every_write_invalidates_the_cached_dashboards(
    cached, rector_client, program, django_capture_on_commit_callbacks
):
    kpi = Kpi.objects.get(program=program, code="1.1.3")
    before = rector_client.get("/matrix/?year=2024").content
    assert b"62,5" not in before
    version = data_version()

    with django_capture_on_commit_callbacks(execute=True):
        Actual.objects.create(
            kpi=kpi, year=2024, value=D("62.5"), state=ActualState.APPROVED, **stamps("approved")
        )
    assert data_version() > version
    assert b"62,5" in rector_client.get("/matrix/?year=2024").content

    with django_capture_on_commit_callbacks(execute=True):
        target = Target.objects.get(kpi=kpi, year=2024)
        planner = User.objects.get(username="planner")
        services.change_target(user=planner, target=target, value=D(61), value2=None, reason="r")
    assert b"61" in rector_client.get("/matrix/?year=2024&direction=1").content


def test_bulk_imports_invalidate_too(cached, program, django_capture_on_commit_callbacks):
    planner = User.objects.get(username="planner")
    kpi = Kpi.objects.prefetch_related("targets").get(program=program, code="1.1.3")
    version = data_version()
    with django_capture_on_commit_callbacks(execute=True):
        services.save_entries(
            user=planner,
            program=program,
            year=2025,
            entries=[services.Entry(kpi=kpi, value=D(70), seen_version=0)],
        )
    assert data_version() == version + 1  # once per transaction, not per row


def test_a_save_of_several_rows_moves_the_version_once_after_it_commits(
    cached, program, django_capture_on_commit_callbacks
):
    """Three values changed and one created in one save: the data version moves exactly
    once, and only when the transaction commits. Moved before, a worker could cache a
    page without the change under the new version; moved per row, every save of a long
    form throws away the whole cache many times over."""
    head = User.objects.get(username="head")
    kpis = list(
        Kpi.objects.prefetch_related("targets")
        .filter(program=program, owner__code="academic")
        .exclude(unit="ratio")
        .order_by("code")[:4]
    )
    for kpi in kpis[:3]:
        Actual.objects.create(kpi=kpi, year=2025, value=D(1), state=ActualState.DRAFT)
    entries = [services.Entry(kpi=kpi, value=D(2), seen_version=1) for kpi in kpis[:3]]
    entries.append(services.Entry(kpi=kpis[3], value=D(2), seen_version=0))
    version = data_version()
    with django_capture_on_commit_callbacks(execute=True):
        saved = services.save_entries(user=head, program=program, year=2025, entries=entries)
        assert len(saved) == 4
        assert data_version() == version, "the version moved before the commit"
    assert data_version() == version + 1


def test_a_rolled_back_write_does_not_bump(cached, program, django_capture_on_commit_callbacks):
    kpi = Kpi.objects.get(program=program, code="1.1.3")
    version = data_version()
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                Actual.objects.create(kpi=kpi, year=2024, value=D(1))
                raise RuntimeError("abort")
        except RuntimeError:
            pass
    assert data_version() == version


def test_a_page_is_kept_per_session_and_never_shared(
    cached, program, django_assert_max_num_queries
):
    rector, planner = Client(), Client()
    rector.force_login(User.objects.get(username="rector"))
    planner.force_login(User.objects.get(username="planner"))
    first = rector.get("/?year=2024")
    with django_assert_max_num_queries(4):  # the session, the user, the data version, the bell
        again = rector.get("/?year=2024")
    assert again.content == first.content
    other = planner.get("/?year=2024").content.decode()
    assert "/review/" in other  # the planner's own navigation, not the rector's page
    assert "/review/" not in first.content.decode()


def _signed_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


KPI_PAGE = "/kpi/1.1.4/"  # a KPI of the unit that "head" heads, and "head2" does not


def test_the_kpi_page_is_cached_per_session(cached, program, django_assert_max_num_queries):
    rector = _signed_in("rector")
    first = rector.get(KPI_PAGE)
    with django_assert_max_num_queries(4):  # the session, the user, the data version, the bell
        again = rector.get(KPI_PAGE)
    assert again.content == first.content


def test_a_reader_after_the_planning_office_gets_no_edit_controls(cached, program):
    target = Target.objects.get(kpi__program=program, kpi__code="1.1.4", year=2025)
    planning_office = User.objects.get(username="planner")
    services.change_target(user=planning_office, target=target, value=D(5), value2=None, reason="r")
    planner, rector = _signed_in("planner"), _signed_in("rector")
    planners_page = planner.get(KPI_PAGE).content.decode()
    assert 'class="target-edit' in planners_page and "/revert/" in planners_page
    for _ in range(2):  # rendered, then served from the cache
        page = rector.get(KPI_PAGE).content.decode()
        assert 'class="target-edit' not in page and "/revert/" not in page
        assert 'id="kpi-chart-data"' in page  # the shared body is there
    assert 'class="target-edit' in planner.get(KPI_PAGE).content.decode()


def _draft(program) -> Kpi:
    """A draft of the unit that "head" heads."""
    kpi = Kpi.objects.get(program=program, code="1.1.4")
    Actual.objects.create(
        kpi=kpi, year=2025, value=D("3.7"), state=ActualState.DRAFT, comment="Draft note"
    )
    return kpi


@pytest.mark.parametrize("query", ["", "?include=submitted"])
def test_another_unit_never_sees_a_draft(cached, program, query):
    _draft(program)
    head, head2, rector = _signed_in("head"), _signed_in("head2"), _signed_in("rector")
    for _ in range(2):  # rendered, then served from the cache
        own = head.get(KPI_PAGE + query).content.decode()
        assert "Draft note" in own and "3,7" in own
        for other in (head2, rector):
            page = other.get(KPI_PAGE + query).content.decode()
            assert "Draft note" not in page and "3,7" not in page


def test_a_head_who_leaves_the_unit_no_longer_sees_its_draft(
    cached, program, django_capture_on_commit_callbacks
):
    kpi = _draft(program)
    head = _signed_in("head")
    assert "Draft note" in head.get(KPI_PAGE).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        kpi.owner.heads.remove(User.objects.get(username="head"))
    assert "Draft note" not in head.get(KPI_PAGE).content.decode()


def test_who_leaves_the_planning_office_loses_the_edit_controls(
    cached, program, django_capture_on_commit_callbacks
):
    planner = _signed_in("planner")
    assert 'class="target-edit' in planner.get(KPI_PAGE).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        User.objects.get(username="planner").groups.remove(Group.objects.get(name=PLANNING_OFFICE))
    assert 'class="target-edit' not in planner.get(KPI_PAGE).content.decode()


def test_evidence_attached_shows_at_once(cached, program, django_capture_on_commit_callbacks):
    actual = _draft(program).actuals.get(year=2025)
    head = _signed_in("head")
    assert "proof.pdf" not in head.get(KPI_PAGE).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services.attach_evidence(
            actual=actual,
            user=User.objects.get(username="head"),
            upload=upload("proof.pdf", pdf_bytes()),
        )
    assert "proof.pdf" in head.get(KPI_PAGE).content.decode()


def test_evidence_removed_goes_at_once(cached, program, django_capture_on_commit_callbacks):
    actual = _draft(program).actuals.get(year=2025)
    evidence = Evidence.objects.create(
        actual=actual, file="evidence/x.pdf", original_name="proof.pdf", size=9
    )
    head = _signed_in("head")
    assert "proof.pdf" in head.get(KPI_PAGE).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_evidence(user=User.objects.get(username="head"), evidence=evidence)
    assert "proof.pdf" not in head.get(KPI_PAGE).content.decode()


def test_a_program_reloaded_with_changes_shows_at_once(
    cached, rector_client, program, django_capture_on_commit_callbacks
):
    """The loader writes through the models' own saves: their signals announce it."""
    assert "Reloaded direction" not in rector_client.get("/?year=2024").content.decode()
    data = read_fixture()
    data["directions"][0]["name"] = "Reloaded direction"
    version = data_version()
    with django_capture_on_commit_callbacks(execute=True):
        load_program(data, overwrite=True)
    assert data_version() == version + 1
    assert "Reloaded direction" in rector_client.get("/?year=2024").content.decode()


def test_a_roles_permissions_changed_move_the_version(
    cached, program, django_capture_on_commit_callbacks
):
    """What a page shows its reader follows their permissions, given in Django's own
    tables (the admin changes them there)."""
    group = Group.objects.get(name=PLANNING_OFFICE)
    permission = Permission.objects.get(codename="approve_actual")
    for change in (group.permissions.remove, group.permissions.add):
        version = data_version()
        with django_capture_on_commit_callbacks(execute=True):
            change(permission)
        assert data_version() == version + 1


def test_a_sign_in_leaves_the_version(cached, program, django_capture_on_commit_callbacks):
    version = data_version()
    with django_capture_on_commit_callbacks(execute=True):
        assert Client().login(username="rector", password="rector-demo")
    assert data_version() == version


# The data version against real commits (these tests commit, so they use no program).


def _unit(code: str) -> OrgUnit:
    return OrgUnit.objects.create(code=code, name=code)


@pytest.mark.django_db(transaction=True)
def test_a_transaction_moves_the_version_once_when_it_commits():
    """Moved before the commit, a page rendered by that transaction would be kept under
    a version whose data may yet roll back; moved per row, one long save throws the cache
    away many times over; moved after the writer returns, the writer's next page is the
    old one."""
    version = data_version()
    with transaction.atomic():
        unit = _unit("one")
        _unit("two")
        unit.name = "One"
        unit.save()
        unit.heads.add(User.objects.create(username="someone"))
        assert data_version() == version, "moved before the commit"
    assert data_version() == version + 1
    _unit("three")  # outside a transaction: each write is one
    _unit("four")
    assert data_version() == version + 3


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_leaves_the_version_and_the_next_moves_it():
    version = data_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        _unit("one")
        raise RuntimeError
    assert data_version() == version
    with transaction.atomic():
        _unit("two")
    assert data_version() == version + 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_savepoint_neither_moves_the_version_nor_hides_a_later_write():
    version = data_version()
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            _unit("one")
            raise RuntimeError
        _unit("two")
    assert data_version() == version + 1
    with transaction.atomic():
        _unit("three")
        with pytest.raises(RuntimeError), transaction.atomic():
            _unit("four")
            raise RuntimeError
    assert data_version() == version + 2


# What a page costs when its body is in the cache but this session has not seen it yet:
# the session, the signed-in user, the data version, the bell's unread count (part of
# the page's key), the program, and the default year or the direction the page names.
# The uncached counts are in test_dashboards.py.
QUERIES_WITH_THE_BODY_CACHED = {
    "/?year=2024": 5,
    "/matrix/": 6,
    "/direction/1/?year=2024": 6,
    "/kpi/1.1.4/": 12,  # its values by year and history are read for each reader
}


@pytest.mark.parametrize("url", QUERIES_WITH_THE_BODY_CACHED)
def test_a_new_session_gets_the_body_from_the_cache(
    cached, program, url, django_assert_num_queries
):
    first = _signed_in("rector").get(url).content.decode()
    other = _signed_in("rector")
    other.get("/accounts/password/")  # the session and its user's navigation as on a visit
    with django_assert_num_queries(QUERIES_WITH_THE_BODY_CACHED[url]):
        page = other.get(url).content.decode()
    assert _main(page) == _main(first)


def _main(page: str) -> str:
    return page[page.index("<main") : page.index("</main>")]
