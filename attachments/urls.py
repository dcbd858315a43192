from django.urls import path

from attachments import views

urlpatterns = [
    path("files/upload/", views.upload, name="attachment_upload"),
    path("files/<int:pk>/", views.download, name="attachment"),
    path("files/<int:pk>/<slug:variant>/", views.variant, name="attachment_variant"),
]
