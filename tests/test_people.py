"""People: the planning office creates accounts, gives roles, assigns units and
deactivates people through its own pages; every change is recorded."""

import re

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Value
from django.db.models.functions import Concat
from django.test import Client
from django.utils import translation

from kpis import people, roles
from kpis.models import OrgUnit
from reports.cache import data_version
from tests.html import form_fields

STRONG = "Kök-tuyaq 2026 aspan"  # passes every password validator


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _emails(db):
    """The demo accounts have no e-mail; the People page asks for one. Written without
    signals, so that the data version moves only with what a test does."""
    User.objects.filter(email="").update(email=Concat("username", Value("@metu.edu.kz")))


def client_for(username: str | None) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    if username:
        client.force_login(User.objects.get(username=username))
    return client


def sign_in(username: str, password: str) -> Client:
    """Through the real sign-in page, as a person would."""
    client = Client()
    client.cookies["django_language"] = "en"
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302 and "login" not in response["Location"], username
    return client


def unit(code: str) -> OrgUnit:
    return OrgUnit.objects.get(code=code)


def user(username: str) -> User:
    return User.objects.get(username=username)


def new_person(**overrides) -> dict:
    data = {
        "first_name": "Асель",
        "last_name": "Қасымова",
        "username": "asel",
        "email": "asel@metu.edu.kz",
        "role": roles.DEPARTMENT_HEAD,
        "units": [unit("international").pk, unit("youth").pk],
        "password": STRONG,
        "password_again": STRONG,
    }
    return data | overrides


def edit_fields(client: Client, person: User) -> dict:
    """The person's page form as a browser would post it back."""
    page = client.get(f"/people/{person.pk}/").content.decode()
    fields = form_fields(page, "person-form")
    # form_fields reads inputs; the role is a select.
    fields["role"] = people.role_of(people.with_roles(User.objects.filter(pk=person.pk)).get())
    fields.pop("units", None)
    fields["units"] = [u.pk for u in person.headed_units.all()]
    return fields


def messages_of(response) -> str:
    return " ".join(re.findall(r'<li class="message[^"]*">(.*?)</li>', response.content.decode()))


# --- The People page -----------------------------------------------------------------


def test_people_page_lists_everyone_with_role_units_state_and_last_sign_in(planner):
    sign_in("head", "head-demo")  # sets head's last sign-in
    page = client_for("planner").get("/people/").content.decode()
    head_row = re.search(rf'<tr id="person-{user("head").pk}".*?</tr>', page, re.S).group(0)
    assert "Ерлан Жұмабаев" in head_row and ">head<" in head_row
    assert "Department head" in head_row
    assert "Academic Affairs Department" in head_row and "Digitalisation Centre" in head_row
    assert "Active" in head_row
    assert re.search(r"<time datetime=\"\d{4}-\d\d-\d\dT", head_row)
    rector_row = re.search(rf'<tr id="person-{user("rector").pk}".*?</tr>', page, re.S)
    assert "Rector&#x27;s office" in rector_row.group(0) and "never" in rector_row.group(0)
    assert page.count('<tr id="person-') == User.objects.count()


def test_filters_by_role_by_active_and_by_name(planner):
    user("head2").is_active = False
    User.objects.filter(username="head2").update(is_active=False)

    def shown(query: str) -> set[str]:
        page = client_for("planner").get("/people/?" + query).content.decode()
        ids = {int(pk) for pk in re.findall(r'<tr id="person-(\d+)"', page)}
        return set(User.objects.filter(pk__in=ids).values_list("username", flat=True))

    assert shown("role=department_head") == {"head", "head2"}
    assert shown("role=planning_office") == {"planner"}
    assert shown("role=rectors_office") == {"rector"}
    assert shown("active=no") == {"head2"}
    assert shown("active=yes&role=department_head") == {"head"}
    # Kazakh letters in another case, on SQLite as on PostgreSQL; words in any order.
    assert shown("q=ЖҰМАБАЕВ") == {"head"}
    assert shown("q=оспанова+мәдина") == {"head2"}
    assert shown("q=nobody-like-this") == set()


def test_heads_without_unit_and_units_without_head_are_flagged(planner):
    page = client_for("planner").get("/people/").content.decode()
    # The demo leaves three units without a head.
    for code in ("international", "youth", "finance"):
        row = re.search(rf'<tr id="unit-{code}".*?</tr>', page, re.S).group(0)
        assert "No head: nobody can enter these values" in row
    assert "No head" not in re.search(r'<tr id="unit-science".*?</tr>', page, re.S).group(0)
    assert 'id="heads-without-unit"' not in page

    lonely = User.objects.create_user("lonely", first_name="Нұр", last_name="Бекұлы")
    lonely.groups.add(Group.objects.get(name=roles.DEPARTMENT_HEAD))
    User.objects.filter(username="head2").update(is_active=False)  # science's only head
    page = client_for("planner").get("/people/").content.decode()
    assert 'id="heads-without-unit"' in page
    row = re.search(rf'<tr id="person-{lonely.pk}".*?</tr>', page, re.S).group(0)
    assert "No unit: can enter nothing" in row
    row = re.search(r'<tr id="unit-science".*?</tr>', page, re.S).group(0)
    assert "No head: nobody can enter these values" in row and "(deactivated)" in row
    assert "4 units have no active head" in page


def test_the_people_page_runs_the_same_queries_for_5_and_50_people(
    planner, django_assert_num_queries
):
    client = client_for("planner")
    head_group = Group.objects.get(name=roles.DEPARTMENT_HEAD)
    units = list(OrgUnit.objects.all())

    def add_people(count: int) -> None:
        start = User.objects.count()
        for n in range(start, start + count):
            person = User.objects.create_user(f"p{n}", first_name=f"P{n}", last_name="Test")
            person.groups.add(head_group)
            person.headed_units.add(units[n % len(units)])

    add_people(1)
    assert User.objects.count() == 5
    client.get("/people/")  # warm the session like a real visit
    # The session, the user and their permissions (3), the people with their groups,
    # the groups' and their own permissions and their units (5), the units with their
    # KPI counts and heads (2), the header's unread notifications (1).
    with django_assert_num_queries(12) as five:
        assert client.get("/people/").status_code == 200
    add_people(45)
    assert User.objects.count() == 50
    with django_assert_num_queries(len(five.captured_queries)):
        response = client.get("/people/")
    assert response.content.decode().count('<tr id="person-') == 50


def test_the_people_link_is_shown_to_the_planning_office_only(program):
    for username in ("planner", "head", "rector"):
        page = client_for(username).get("/").content.decode()
        assert ('href="/people/"' in page) == (username == "planner"), username


# --- Creating a person -----------------------------------------------------------------


def test_planner_creates_a_department_head_who_signs_in_and_sees_their_kpis(
    planner, django_capture_on_commit_callbacks
):
    version = data_version()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("planner").post("/people/new/", new_person(), follow=True)
    asel = user("asel")
    assert response.redirect_chain[-1][0] == f"/people/{asel.pk}/"
    assert "can now sign in as asel" in messages_of(response)
    assert data_version() > version  # the dashboards and kept pages are rendered anew
    assert (asel.first_name, asel.last_name, asel.email) == (
        "Асель",
        "Қасымова",
        "asel@metu.edu.kz",
    )
    assert [g.name for g in asel.groups.all()] == [roles.DEPARTMENT_HEAD]
    assert not asel.is_staff and asel.is_active
    assert set(asel.headed_units.values_list("code", flat=True)) == {"international", "youth"}

    head = sign_in("asel", STRONG)
    page = head.get("/entry/?year=2025").content.decode()
    codes = set(re.findall(r'id="kpi-([\d.]+)"', page))
    assert codes and all(code.startswith(("3.", "4.")) for code in codes)  # tasks 3.x and 4.x
    assert len(codes) == 27


@pytest.mark.parametrize(
    "role, staff", [(roles.PLANNING_OFFICE, True), (roles.RECTORS_OFFICE, False)]
)
def test_planning_office_accounts_are_staff_and_others_are_not(planner, role, staff):
    client_for("planner").post("/people/new/", new_person(role=role, units=[]))
    asel = user("asel")
    assert asel.is_staff is staff
    assert people.role_of(asel) == role
    assert not asel.headed_units.exists()


def test_every_problem_is_shown_at_once_what_was_typed_stays_and_nothing_is_saved(planner):
    before = User.objects.count()
    typed = new_person(
        first_name="",
        username="HEAD",  # head exists: usernames are compared ignoring case
        email="not-an-address",
        role=roles.RECTORS_OFFICE,  # with units: only department heads head units
        password="12345678",
        password_again="12345679",
        last_name="Қасымова",
    )
    response = client_for("planner").post("/people/new/", typed)
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {
        "first_name",
        "username",
        "email",
        "units",
        "password",
        "password_again",
    }
    page = response.content.decode()
    assert "The username HEAD is taken" in page
    assert "Enter a valid email address." in page
    assert "Only a department head can head a unit" in page
    assert "This password is too common." in page and "entirely numeric" in page
    assert "The two passwords differ." in page
    # What was typed stays.
    assert 'value="HEAD"' in page and 'value="not-an-address"' in page
    assert 'value="Қасымова"' in page
    assert re.search(rf'value="{unit("youth").pk}"[^>]*checked', page)
    assert User.objects.count() == before


def test_a_duplicate_email_is_refused_ignoring_case(planner):
    User.objects.filter(username="head").update(email="Erlan@metu.edu.kz")
    response = client_for("planner").post("/people/new/", new_person(email="erlan@METU.edu.kz"))
    assert "erlan@METU.edu.kz is already the e-mail of Ерлан Жұмабаев." in response.content.decode()
    assert not User.objects.filter(username="asel").exists()


def test_a_password_like_the_persons_name_is_refused_with_the_rules_shown(planner):
    page = client_for("planner").get("/people/new/").content.decode()
    assert "Your password must contain at least 8 characters." in page  # the rules, shown
    response = client_for("planner").post(
        "/people/new/", new_person(password="asel@metu", password_again="asel@metu")
    )
    assert "The password is too similar to the" in response.content.decode()
    assert not User.objects.filter(username="asel").exists()


def test_the_creation_is_recorded_in_the_admin_log(planner):
    client_for("planner").post("/people/new/", new_person())
    asel = user("asel")
    entry = LogEntry.objects.get(object_id=str(asel.pk), content_type__model="user")
    assert entry.action_flag == ADDITION and entry.user == user("planner")
    message = entry.get_change_message()
    assert "Added." in message and "Added headed unit" in message
    page = client_for("planner").get(f"/people/{asel.pk}/").content.decode()
    changes = re.search(r'<section class="card" id="changes">.*?</section>', page, re.S).group(0)
    assert "Account created: Department head" in changes
    assert "Now heads: International Cooperation Office, Student Life and Youth Policy" in changes


# --- Editing a person ------------------------------------------------------------------


def test_names_and_email_are_changed_and_recorded(planner):
    client = client_for("planner")
    head = user("head")
    fields = edit_fields(client, head) | {"first_name": "Ерлан-Ата", "email": "e@metu.edu.kz"}
    response = client.post(f"/people/{head.pk}/", fields, follow=True)
    assert "Ерлан-Ата Жұмабаев: saved." in messages_of(response)
    head.refresh_from_db()
    assert (head.first_name, head.email) == ("Ерлан-Ата", "e@metu.edu.kz")
    entry = LogEntry.objects.get(object_id=str(head.pk), content_type__model="user")
    assert entry.action_flag == CHANGE
    assert entry.get_change_message() == "Changed first name and email address."
    assert "Changed: first name and email address" in response.content.decode()


def test_saving_without_a_change_records_nothing(planner):
    client = client_for("planner")
    head = user("head")
    response = client.post(f"/people/{head.pk}/", edit_fields(client, head), follow=True)
    assert "Nothing to save" in messages_of(response)
    assert not LogEntry.objects.filter(object_id=str(head.pk)).exists()


def test_a_head_who_gets_another_role_stops_heading_their_units_and_the_page_says_so(
    planner, django_capture_on_commit_callbacks
):
    client = client_for("planner")
    head = user("head")
    fields = edit_fields(client, head) | {"role": roles.RECTORS_OFFICE}  # units still ticked
    version = data_version()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/people/{head.pk}/", fields, follow=True)
    assert data_version() > version
    assert (
        "Ерлан Жұмабаев is no longer a department head, so they no longer head: "
        "Academic Affairs Department, Digitalisation Centre." in messages_of(response)
    )
    assert not head.headed_units.exists()
    assert people.role_of(user("head")) == roles.RECTORS_OFFICE
    assert not user("head").has_perm("kpis.enter_actual")
    changes = response.content.decode()
    assert "Role: Department head → Rector&#x27;s office" in changes
    assert "No longer heads: Academic Affairs Department, Digitalisation Centre" in changes


def test_units_are_given_to_department_heads_only(planner):
    client = client_for("planner")
    rector = user("rector")
    fields = edit_fields(client, rector) | {"units": [unit("finance").pk]}
    response = client.post(f"/people/{rector.pk}/", fields)
    assert response.status_code == 200
    assert "Only a department head can head a unit" in response.content.decode()
    assert not rector.headed_units.exists()

    fields["role"] = roles.DEPARTMENT_HEAD
    client.post(f"/people/{rector.pk}/", fields)
    assert list(rector.headed_units.values_list("code", flat=True)) == ["finance"]
    assert people.role_of(user("rector")) == roles.DEPARTMENT_HEAD
    assert not user("rector").is_staff


def test_a_planner_cannot_take_away_their_own_planning_office_role(planner):
    client = client_for("planner")
    me = user("planner")
    fields = edit_fields(client, me) | {"role": roles.RECTORS_OFFICE, "first_name": "Changed"}
    response = client.post(f"/people/{me.pk}/", fields)
    assert "You cannot take away your own planning-office role" in response.content.decode()
    me.refresh_from_db()
    assert me.first_name == "Айгүл" and roles.is_planner(me) and me.is_staff


def test_a_planner_cannot_deactivate_themselves(planner):
    me = user("planner")
    page = client_for("planner").get(f"/people/{me.pk}/").content.decode()
    assert 'id="deactivate"' not in page
    response = client_for("planner").post(f"/people/{me.pk}/active/", {"active": "0"}, follow=True)
    assert "You cannot deactivate yourself" in messages_of(response)
    assert user("planner").is_active


@pytest.fixture
def superuser(program) -> User:
    return User.objects.create_superuser(
        "root", "root@metu.edu.kz", STRONG, first_name="Root", last_name="Admin"
    )


def test_the_planning_office_cannot_change_a_superusers_role_or_deactivate_them(planner, superuser):
    client = client_for("planner")
    page = client.get(f"/people/{superuser.pk}/").content.decode()
    assert re.search(r'<select name="role"[^>]*disabled', page)
    assert 'id="deactivate"' not in page and 'id="set-password"' not in page
    # A role posted anyway is ignored; the e-mail may change.
    fields = edit_fields(client, superuser) | {
        "role": roles.RECTORS_OFFICE,
        "email": "root2@metu.edu.kz",
    }
    client.post(f"/people/{superuser.pk}/", fields)
    superuser.refresh_from_db()
    assert superuser.is_superuser and superuser.is_staff and superuser.email == "root2@metu.edu.kz"
    response = client.post(f"/people/{superuser.pk}/active/", {"active": "0"}, follow=True)
    assert "superuser and cannot be deactivated" in messages_of(response)
    client.post(f"/people/{superuser.pk}/password/", {"password": "Another 2026 pass!"})
    superuser.refresh_from_db()
    assert superuser.is_active and superuser.check_password(STRONG)

    # The services refuse too, whatever the form sends.
    data = people.PersonData("Root", "", "root@metu.edu.kz", roles.RECTORS_OFFICE)
    with pytest.raises(ValidationError, match="superuser"):
        people.update_person(actor=user("planner"), person=superuser, data=data)


def test_a_role_held_through_another_group_is_refused_and_nothing_is_half_saved(planner):
    """The new name and the new groups are written, then the role check fails: both
    are rolled back together."""
    extra = Group.objects.create(name="acting_planners")
    extra.permissions.add(Permission.objects.get(codename="approve_actual"))
    rector = user("rector")
    rector.groups.add(extra)
    client = client_for("planner")
    fields = edit_fields(client, rector) | {"role": roles.DEPARTMENT_HEAD, "first_name": "New"}
    response = client.post(f"/people/{rector.pk}/", fields)
    assert "Another group or a permission of their own" in response.content.decode()
    rector.refresh_from_db()
    assert rector.first_name == "Бақыт"
    assert set(rector.groups.values_list("name", flat=True)) == {
        roles.RECTORS_OFFICE,
        "acting_planners",
    }
    assert not LogEntry.objects.filter(object_id=str(rector.pk)).exists()


# --- Deactivation ------------------------------------------------------------------------


def test_deactivation_ends_the_persons_sessions_at_once_and_reactivation_lets_them_back(
    planner, django_capture_on_commit_callbacks
):
    head = sign_in("head", "head-demo")
    head_on_phone = sign_in("head", "head-demo")
    assert head.get("/entry/?year=2025").status_code == 200
    head_id = str(user("head").pk)

    def sessions_of_head() -> list[Session]:
        return [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == head_id]

    assert len(sessions_of_head()) == 2

    version = data_version()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("planner").post(
            f"/people/{user('head').pk}/active/", {"active": "0"}, follow=True
        )
    assert "can no longer sign in; 2 open sessions were ended" in messages_of(response)
    assert data_version() > version
    assert not user("head").is_active
    assert sessions_of_head() == []
    for client in (head, head_on_phone):
        response = client.get("/entry/?year=2025")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    refused = Client().post("/accounts/login/", {"username": "head", "password": "head-demo"})
    assert refused.status_code == 200  # the sign-in page again
    # The units stay theirs, flagged as without an active head.
    assert unit("academic").heads.filter(username="head").exists()

    response = client_for("planner").post(
        f"/people/{user('head').pk}/active/", {"active": "1"}, follow=True
    )
    assert "Ерлан Жұмабаев can sign in again." in messages_of(response)
    assert sign_in("head", "head-demo").get("/entry/?year=2025").status_code == 200
    lines = [
        line
        for c in people.recent_changes(actor=user("planner"), person=user("head"))
        for line in c.lines
    ]
    assert lines[:2] == ["Reactivated", "Deactivated; their open sessions were ended"]


def test_a_planner_sets_a_new_password_for_a_person_who_forgot_theirs(planner):
    head = sign_in("head", "head-demo")
    client = client_for("planner")
    response = client.post(f"/people/{user('head').pk}/password/", {"password": "short"})
    assert "This password is too short" in response.content.decode()
    assert user("head").check_password("head-demo")

    client.post(f"/people/{user('head').pk}/password/", {"password": STRONG})
    assert user("head").check_password(STRONG)
    assert head.get("/entry/").status_code == 302  # the old session no longer counts
    sign_in("head", STRONG)
    entry = LogEntry.objects.get(object_id=str(user("head").pk))
    assert entry.get_change_message() == "Changed password."


# --- Units and their heads -----------------------------------------------------------------


def test_a_units_heads_are_chosen_among_department_heads_by_full_name(
    planner, django_capture_on_commit_callbacks
):
    client = client_for("planner")
    finance = unit("finance")
    page = client.get(f"/people/units/{finance.pk}/").content.decode()
    offered = re.findall(r'<label class="check"[^>]*>.*?</label>', page, re.S)
    assert [re.sub(r"<[^>]+>", "", label).strip() for label in offered] == [
        "Ерлан Жұмабаев",
        "Мәдина Оспанова",
    ]

    response = client.post(f"/people/units/{finance.pk}/", {"heads": [user("rector").pk]})
    assert response.status_code == 200
    assert "Бақыт Нұрланов is not a department head" in response.content.decode()
    assert not finance.heads.exists()

    version = data_version()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/people/units/{finance.pk}/", {"heads": [user("head2").pk]})
    assert data_version() > version
    assert list(finance.heads.values_list("username", flat=True)) == ["head2"]
    entry = LogEntry.objects.get(object_id=str(user("head2").pk), content_type__model="user")
    assert "Added headed unit" in entry.get_change_message()
    unit_entry = LogEntry.objects.get(
        object_id=str(finance.pk), content_type=ContentType.objects.get_for_model(OrgUnit)
    )
    assert "Added head “Мәдина Оспанова”." in unit_entry.get_change_message()


def test_a_deactivated_head_is_not_made_head_of_another_unit(planner):
    User.objects.filter(username="head2").update(is_active=False)
    finance = unit("finance")
    response = client_for("planner").post(
        f"/people/units/{finance.pk}/", {"heads": [user("head2").pk]}
    )
    assert "Мәдина Оспанова is deactivated and cannot head a unit." in response.content.decode()
    assert not finance.heads.exists()


# --- Audit in the admin --------------------------------------------------------------------


def test_the_changes_show_in_the_admins_history_of_the_user(planner, superuser):
    client = client_for("planner")
    head = user("head")
    client.post(f"/people/{head.pk}/", edit_fields(client, head) | {"role": roles.RECTORS_OFFICE})
    admin = client_for("root")
    page = admin.get(f"/admin/auth/user/{head.pk}/history/").content.decode()
    assert "Changed role and units headed." in page
    assert "Deleted headed unit “Академиялық мәселелер департаменті”." in page


# --- Every user's own password -------------------------------------------------------------


@pytest.mark.parametrize("username", ["head", "planner", "rector"])
def test_everyone_signed_in_changes_their_own_password(program, username):
    client = sign_in(username, f"{username}-demo")
    page = client.get("/").content.decode()
    assert 'href="/accounts/password/"' in page
    page = client.get("/accounts/password/").content.decode()
    assert 'class="topbar"' in page and "Change password" in page  # the site's own page
    response = client.post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password1": "123", "new_password2": "124"},
    )
    form = response.context["form"]
    assert set(form.errors) == {"old_password", "new_password2"}
    response = client.post(
        "/accounts/password/",
        {"old_password": f"{username}-demo", "new_password1": STRONG, "new_password2": STRONG},
        follow=True,
    )
    assert "Your password is changed." in messages_of(response)
    assert user(username).check_password(STRONG)
    assert client.get("/").status_code == 200  # still signed in
    # The planning office sees that the password it handed over was replaced.
    changes = people.recent_changes(actor=user("planner"), person=user(username))
    assert changes[0].lines == ["Password changed by the person"]
    assert changes[0].who == user(username)


def test_the_password_page_asks_to_sign_in_first(program):
    response = Client().get("/accounts/password/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Only the planning office --------------------------------------------------------------


def _urls() -> list[tuple[str, dict]]:
    head, head2 = user("head"), user("head2")
    return [
        ("/people/", {}),
        ("/people/?role=department_head&active=yes&q=a", {}),
        ("/people/new/", new_person()),
        (f"/people/{head.pk}/", new_person(role=roles.RECTORS_OFFICE)),
        (f"/people/{head.pk}/active/", {"active": "0"}),
        (f"/people/{head2.pk}/active/", {"active": "0"}),
        (f"/people/{head.pk}/password/", {"password": STRONG}),
        (f"/people/units/{unit('finance').pk}/", {"heads": [head.pk]}),
        (f"/people/units/{unit('academic').pk}/", {"heads": []}),
    ]


def _snapshot():
    return (
        sorted(
            User.objects.values_list(
                "id", "username", "first_name", "email", "is_active", "is_staff", "password"
            )
        ),
        sorted(User.groups.through.objects.values_list("user_id", "group_id")),
        sorted(OrgUnit.heads.through.objects.values_list("orgunit_id", "user_id")),
        LogEntry.objects.count(),
        Session.objects.count(),
    )


@pytest.mark.parametrize("role", [None, "head", "head2", "rector"])
def test_only_the_planning_office_may_open_or_post_any_people_page(program, role):
    client = client_for(role)
    before = _snapshot()
    for url, data in _urls():
        for response in (client.get(url), client.post(url, data)):
            if role is None:
                assert response.status_code == 302, url
                assert response["Location"].startswith("/accounts/login/"), url
            else:
                assert response.status_code in (403, 405), url
    assert _snapshot() == before


def test_the_planning_office_may_open_every_people_page(planner):
    client = client_for("planner")
    for url, _data in _urls():
        if "/active/" in url or "/password/" in url:
            assert client.get(url).status_code == 405, url  # actions are posted
        else:
            assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "call",
    [
        lambda actor: people.people(actor=actor),
        lambda actor: people.units_with_heads(actor=actor),
        lambda actor: people.set_active(actor=actor, person=user("head"), active=False),
        lambda actor: people.set_unit_heads(actor=actor, unit=unit("finance"), heads=[]),
        lambda actor: people.set_password(actor=actor, person=user("head"), password=STRONG),
        lambda actor: people.create_person(
            actor=actor,
            username="x",
            data=people.PersonData("X", "Y", "x@metu.edu.kz", roles.PLANNING_OFFICE),
            password=STRONG,
        ),
        lambda actor: people.update_person(
            actor=actor,
            person=actor,
            data=people.PersonData("X", "Y", "x@metu.edu.kz", roles.PLANNING_OFFICE),
        ),
    ],
)
def test_the_services_refuse_anyone_but_the_planning_office(program, call):
    before = _snapshot()
    for username in ("head", "rector"):
        with pytest.raises(PermissionDenied):
            call(user(username))
    assert _snapshot() == before


def test_people_and_units_are_in_dictionary_order_in_kazakh(planner):
    client = client_for("planner")
    client.post("/people/new/", new_person(units=[]))  # Қасымова: Қ comes after К, before Л
    client.cookies["django_language"] = "kk"
    page = client.get("/people/").content.decode()
    surnames = re.findall(
        r'<tr id="person-\d+"[^>]*>\s*<th scope="row"><a[^>]*>\S+ (\S+)</a>', page
    )
    assert surnames == ["Жұмабаев", "Қасымова", "Нұрланов", "Оспанова", "Серікова"]
    page = client.get(f"/people/{user('asel').pk}/").content.decode()
    offered = re.findall(r'<label class="check"[^>]*>.*?</label>', page, re.S)
    assert [re.sub(r"<[^>]+>", "", label).split()[0] for label in offered] == [
        "Академиялық",
        "Ғылым",
        "Қаржы-экономикалық",
        "Тәрбие",
        "Халықаралық",
        "Цифрландыру",
    ]


def test_the_top_bar_keeps_the_signed_in_planners_own_role_on_a_persons_page(planner):
    page = client_for("planner").get(f"/people/{user('head').pk}/").content.decode()
    who = re.search(r'<span class="who".*?</span>', page, re.S).group(0)
    assert "Айгүл Серікова" in who and "Planning office" in who


def test_a_person_given_the_planning_office_role_sees_its_links_at_their_next_page(
    planner, django_capture_on_commit_callbacks
):
    head = sign_in("head", "head-demo")
    assert 'href="/people/"' not in head.get("/").content.decode()  # the role is remembered
    client = client_for("planner")
    fields = edit_fields(client, user("head")) | {"role": roles.PLANNING_OFFICE}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/people/{user('head').pk}/", fields)
    assert user("head").is_staff
    assert 'href="/people/"' in head.get("/").content.decode()
    assert head.get("/people/").status_code == 200


def test_no_role_is_chosen_for_the_planner(planner):
    page = client_for("planner").get("/people/new/").content.decode()
    assert re.search(r'<option value="" selected>Choose a role</option>', page)
    response = client_for("planner").post("/people/new/", new_person(role="", units=[]))
    assert response.context["form"].errors["role"] == ["This field is required."]
    assert not User.objects.filter(username="asel").exists()
    # A person without any role is shown as such, not as the first role of the list.
    nobody = User.objects.create_user("nobody", "n@metu.edu.kz", first_name="N", last_name="B")
    page = client_for("planner").get(f"/people/{nobody.pk}/").content.decode()
    assert re.search(r'<option value="" selected>Choose a role</option>', page)
    assert "nobody · No role" in page
