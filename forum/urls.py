from django.contrib import admin
from django.urls import include, path

from forum.views import health, inbox, members, pages, threads

urlpatterns = [
    path("", pages.dashboard, name="dashboard"),
    path("healthz", health.healthz, name="healthz"),
    path("g/<slug:slug>/", threads.group_threads, name="group"),
    path("g/<slug:slug>/new/", threads.new_thread, name="thread_new"),
    path("g/<slug:slug>/people/", pages.group_people, name="group_people"),
    path("g/<slug:slug>/members/", members.manage_members, name="group_members"),
    path("t/<int:pk>/", threads.thread_detail, name="thread"),
    path("t/<int:pk>-<str:slug>/", threads.thread_detail, name="thread_slug"),
    path("t/<int:pk>/moderate/", threads.moderate_thread, name="thread_moderate"),
    path("t/<int:pk>/reply/", threads.reply_to_thread, name="thread_reply"),
    path("p/<int:pk>/", threads.post_redirect, name="post"),
    path("p/<int:pk>/reply/", threads.reply_to_post, name="post_reply"),
    path("p/<int:pk>/edit/", threads.edit_post, name="post_edit"),
    path("p/<int:pk>/history/", threads.post_history, name="post_history"),
    path("p/<int:pk>/remove/", threads.remove_post, name="post_remove"),
    path("p/<int:pk>/restore/", threads.restore_post, name="post_restore"),
    path("t/<int:pk>/watch/", inbox.watch_thread, name="thread_watch"),
    path("inbox/", inbox.inbox_page, name="inbox"),
    path("inbox/read/", inbox.mark_read, name="inbox_read"),
    path("", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
