from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import get_language

from kpis import roles

ROLE_SECONDS = 60


def user_role(request: HttpRequest) -> dict:
    """What the navigation needs to show each role only what it may use.

    Kept a minute per user: it only decides which links are shown, every page checks
    the permission itself, and reading permissions costs two queries per page. The key
    holds the language: the role's label is shown translated."""
    # A request refused before the authentication middleware ran has no user.
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"is_planner": False, "is_department_head": False, "can_enter": False}
    key = _key(user, get_language())
    role = cache.get(key)
    if role is None:
        role = {
            "is_planner": roles.is_planner(user),
            "is_department_head": roles.is_department_head(user),
            "can_enter": user.has_perm("kpis.enter_actual"),
            "role_label": roles.role_label(user),
        }
        cache.set(key, role, ROLE_SECONDS)
    return role


def _key(user, language: str) -> str:
    return f"role:{user.pk}:{user.password[-12:]}:{language}"


def forget_role(user) -> None:
    """Drop what the navigation remembers about `user`, when their role changes."""
    cache.delete_many([_key(user, language) for language, _name in settings.LANGUAGES])
