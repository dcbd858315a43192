from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Project docking")

    def ready(self) -> None:
        from forum import digests
        from projects.digests import docking_steps, suggested_listings

        for builder in (docking_steps, suggested_listings):
            if builder not in digests.EXTRA_SECTIONS:
                digests.EXTRA_SECTIONS.append(builder)
