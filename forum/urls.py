from django.contrib import admin
from django.urls import include, path

from forum.views import health, meetings, members, pages, threads

urlpatterns = [
    path("", pages.dashboard, name="dashboard"),
    path("healthz", health.healthz, name="healthz"),
    path("g/<slug:slug>/", threads.group_threads, name="group"),
    path("g/<slug:slug>/new/", threads.new_thread, name="thread_new"),
    path("g/<slug:slug>/people/", pages.group_people, name="group_people"),
    path("g/<slug:slug>/members/", members.manage_members, name="group_members"),
    path("g/<slug:slug>/meetings/", meetings.group_meetings, name="group_meetings"),
    path("m/<int:pk>/", meetings.meeting_detail, name="meeting"),
    path("m/<int:pk>/rsvp/", meetings.meeting_rsvp, name="meeting_rsvp"),
    path("m/<int:pk>/chat/", meetings.meeting_chat, name="meeting_chat"),
    path("m/<int:pk>/chat/<int:message_id>/remove/", meetings.chat_remove, name="chat_remove"),
    path("m/<int:pk>/mute/", meetings.chat_mute, name="chat_mute"),
    path("m/<int:pk>/manage/", meetings.meeting_manage, name="meeting_manage"),
    path("m/<int:pk>/minutes/", meetings.meeting_minutes, name="meeting_minutes"),
    path("m/<int:pk>/transcript/", meetings.transcript, name="meeting_transcript"),
    path(
        "m/<int:pk>/transcript.<str:export>",
        meetings.transcript,
        name="meeting_transcript_export",
    ),
    path("m/<int:pk>/meeting.ics", meetings.meeting_ics, name="meeting_ics"),
    path("calendar/", meetings.calendar_settings, name="calendar_settings"),
    path("calendar/<str:token>.ics", meetings.calendar_feed, name="calendar_feed"),
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
    path("", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
