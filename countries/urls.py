from django.urls import path

from countries import views

app_name = "countries"

urlpatterns = [
    path("countries/", views.country_list, name="list"),
    path("countries/review/", views.review_queue, name="queue"),
    path("countries/assessments/<int:pk>/", views.assessment_detail, name="assessment"),
    path(
        "countries/assessments/<int:pk>/decide/", views.assessment_decide, name="assessment_decide"
    ),
    path("countries/<str:code>/", views.country_detail, name="country"),
    path("countries/<str:code>/follow/", views.follow, name="follow"),
    path("countries/<str:code>/assess/", views.assess, name="assess"),
    path("countries/<str:code>/report/<int:year>/", views.report_html, name="report"),
    path("countries/<str:code>/report/<int:year>/pdf/", views.report_pdf, name="report_pdf"),
    path(
        "countries/<str:code>/report/<int:year>/publish/",
        views.report_publish,
        name="report_publish",
    ),
]
