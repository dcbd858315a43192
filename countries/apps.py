from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CountriesConfig(AppConfig):
    name = "countries"
    verbose_name = _("Countries")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from countries import reference
        from countries.digests import followed_countries
        from countries.models import Country
        from forum import digests

        def forget(**_kwargs) -> None:
            reference.forget_partners()

        for signal in (post_save, post_delete):
            signal.connect(forget, sender=Country, weak=False, dispatch_uid=f"countries.{signal}")
        # The digest's "Countries you follow" section.
        if followed_countries not in digests.EXTRA_SECTIONS:
            digests.EXTRA_SECTIONS.append(followed_countries)
