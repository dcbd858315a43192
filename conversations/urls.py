from django.urls import path

from conversations import views

app_name = "conversations"

urlpatterns = [
    path("messages/", views.conversation_list, name="list"),
    path("messages/new/", views.new_conversation, name="new"),
    path("messages/email/", views.email_preference, name="email"),
    path("messages/<int:pk>/", views.conversation_page, name="conversation"),
    path("messages/<int:pk>/settings/", views.conversation_settings, name="settings"),
    path("messages/m/<int:pk>/edit/", views.edit_message, name="edit"),
    path("messages/m/<int:pk>/delete/", views.delete_message, name="delete"),
    path("messages/m/<int:pk>/report/", views.report_message, name="report"),
    path("messages/block/<slug:handle>/", views.block_member, name="block"),
    path("messages/reports/", views.report_queue, name="reports"),
    path("messages/reports/<int:pk>/", views.report_detail, name="report_detail"),
]
