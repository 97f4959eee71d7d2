from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from metu_strategy import views
from reports import views as reports_views

admin.site.site_header = _("METU Strategy — administration")
admin.site.site_title = _("METU Strategy")
admin.site.index_title = _("Program data")

handler400 = "metu_strategy.views.bad_request"
handler403 = "metu_strategy.views.permission_denied"
handler404 = "metu_strategy.views.page_not_found"
handler500 = "metu_strategy.views.server_error"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path("", reports_views.overview, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("kpis.urls")),
    path("", include("kpis.spreadsheet_urls")),
    path("", include("kpis.people_urls")),
    path("", include("kpis.passport_urls")),
    path("", include("kpis.definition_urls")),
    path("", include("reports.urls")),
    path("", include("reports.excel_urls")),
    path("", include("reports.yearly_urls")),
    path("", include("notices.urls")),
]
