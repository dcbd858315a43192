from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Project docking")

    def ready(self) -> None:
        from attachments.owners import OwnerKind, register
        from forum import digests
        from projects.visibility import visible_listings

        # A listing's documents: whoever sees the listing in its state (docs/projects.md).
        register(
            OwnerKind(
                model="projects.Listing",
                visible=visible_listings,
                max_files=10,
                max_bytes=20 * 1024 * 1024,
            )
        )
        from projects.digests import docking_steps, suggested_listings

        for builder in (docking_steps, suggested_listings):
            if builder not in digests.EXTRA_SECTIONS:
                digests.EXTRA_SECTIONS.append(builder)
