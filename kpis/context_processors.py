from django.http import HttpRequest

from kpis import roles


def user_role(request: HttpRequest) -> dict:
    """What the navigation needs to show each role only what it may use."""
    user = request.user
    return {
        "is_planner": roles.is_planner(user),
        "is_department_head": roles.is_department_head(user),
        "role_label": roles.role_label(user) if user.is_authenticated else "",
    }
