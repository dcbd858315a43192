from django.urls import path

from webhooks import views

urlpatterns = [
    path("g/<slug:slug>/webhooks/", views.endpoint_list, name="webhook_list"),
    path("g/<slug:slug>/webhooks/new/", views.endpoint_new, name="webhook_new"),
    path("g/<slug:slug>/webhooks/<int:pk>/", views.endpoint_detail, name="webhook_detail"),
    path("g/<slug:slug>/webhooks/<int:pk>/enable/", views.endpoint_toggle, name="webhook_toggle"),
    path("g/<slug:slug>/webhooks/<int:pk>/rotate/", views.endpoint_rotate, name="webhook_rotate"),
    path("g/<slug:slug>/webhooks/<int:pk>/delete/", views.endpoint_delete, name="webhook_delete"),
    path("g/<slug:slug>/webhooks/<int:pk>/test/", views.endpoint_test, name="webhook_test"),
    path(
        "g/<slug:slug>/webhooks/<int:pk>/deliveries/<int:delivery>/resend/",
        views.delivery_resend,
        name="webhook_resend",
    ),
]
