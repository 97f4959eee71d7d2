"""The bell's unread count: one COUNT query, only for a signed-in person and only when
a page shows it (or a cached page's key needs it). Nothing is read before that: a page
that shows no header reads neither the session nor the user for it."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from notices.models import Notification


def _unread(request) -> int:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


class UnreadNoticesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.unread_notices = SimpleLazyObject(lambda: _unread(request))
        return self.get_response(request)
