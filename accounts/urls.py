from django.urls import path

from accounts import views

urlpatterns = [
    # Before allauth's own (included later under accounts/): the invited sign-up.
    path("accounts/signup/", views.signup, name="account_signup"),
    path("invite/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("invitations/", views.invitations_page, name="invitations"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("members/<slug:handle>/", views.profile, name="profile"),
    path("settings/profile/", views.profile_edit, name="profile_edit"),
    path("settings/avatar/", views.avatar_edit, name="avatar_edit"),
    path(
        "members/<slug:handle>/avatar/<int:version>.webp", views.avatar_image, name="avatar_image"
    ),
    path("settings/notifications/", views.notification_settings, name="notification_settings"),
    path("unsubscribe/<str:token>/", views.unsubscribe_view, name="unsubscribe"),
]
