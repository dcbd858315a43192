from django.urls import path

from projects import views

app_name = "projects"

urlpatterns = [
    path("projects/", views.listing_list, name="listings"),
    path("projects/new/", views.listing_new, name="listing_new"),
    path("projects/organization/", views.organization_profile, name="organization"),
    path("projects/review/<int:pk>/", views.review, name="review"),
    path("projects/<int:pk>/", views.listing_detail, name="listing"),
    path("projects/<int:pk>/edit/", views.listing_edit, name="listing_edit"),
    path("projects/<int:pk>/manage/", views.listing_manage, name="listing_manage"),
    path("projects/<int:pk>/interest/", views.express_interest, name="interest"),
    path("projects/<int:pk>/not-interested/", views.not_interested, name="not_interested"),
    path("projects/<int:pk>/propose/", views.propose, name="propose"),
    path("docking/", views.docking_list, name="dockings"),
    path("docking/<int:pk>/", views.docking_detail, name="docking"),
    path("docking/<int:pk>/step/", views.docking_step, name="docking_step"),
    path("docking/<int:pk>/meeting.ics", views.docking_ics, name="docking_ics"),
]
