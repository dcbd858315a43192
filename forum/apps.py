from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForumConfig(AppConfig):
    name = "forum"
    verbose_name = _("Forum")

    def ready(self) -> None:
        from django.conf import settings
        from django.contrib.auth.signals import user_logged_out
        from django.core import checks
        from django.db.models.signals import post_delete, post_save

        from forum import checks as forum_checks
        from forum import events
        from forum.models import Membership

        checks.register(forum_checks.deployment_warnings)

        from django.db.backends.signals import connection_created

        from forum import config

        connection_created.connect(
            config.sqlite_connection_created, dispatch_uid="forum.sqlite_connection_created"
        )

        user_logged_out.connect(
            events.close_sockets_on_logout, dispatch_uid="forum.close_sockets_on_logout"
        )
        # Live sockets hold what their member may see; any change made anywhere (actions,
        # admin, shell) makes them check again.
        for signal in (post_save, post_delete):
            signal.connect(
                events.membership_changed,
                sender=Membership,
                dispatch_uid=f"forum.membership_changed.{signal}",
            )
        # The header's cached groups (forum/navigation.py) follow the same changes.
        from forum import navigation
        from forum.models import WorkingGroup

        for signal in (post_save, post_delete):
            signal.connect(
                navigation.membership_changed,
                sender=Membership,
                dispatch_uid=f"forum.navigation.membership.{signal}",
            )
            signal.connect(
                navigation.group_changed,
                sender=WorkingGroup,
                dispatch_uid=f"forum.navigation.group.{signal}",
            )
        post_save.connect(
            navigation.member_changed,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="forum.navigation.member",
        )
        post_save.connect(
            events.member_changed,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="forum.member_changed",
        )
