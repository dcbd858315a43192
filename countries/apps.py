from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CountriesConfig(AppConfig):
    name = "countries"
    verbose_name = _("Countries")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from countries import reference
        from countries.models import Country

        def forget(**_kwargs) -> None:
            reference.forget_partners()

        for signal in (post_save, post_delete):
            signal.connect(forget, sender=Country, weak=False, dispatch_uid=f"countries.{signal}")
