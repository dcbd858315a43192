from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForumConfig(AppConfig):
    name = "forum"
    verbose_name = _("Forum")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from forum import events

        user_logged_out.connect(
            events.close_sockets_on_logout, dispatch_uid="forum.close_sockets_on_logout"
        )
