from django.contrib import admin
from django.urls import include, path

from forum.views import health, members, pages

urlpatterns = [
    path("", pages.dashboard, name="dashboard"),
    path("healthz", health.healthz, name="healthz"),
    path("g/<slug:slug>/", pages.group_detail, name="group"),
    path("g/<slug:slug>/members/", members.manage_members, name="group_members"),
    path("", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
