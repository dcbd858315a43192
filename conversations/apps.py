from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = _("Direct messages")

    def ready(self) -> None:
        from conversations import mail
        from forum import digests

        # Unread direct messages ride along in each member's digest.
        if mail.digest_section not in digests.EXTRA_SECTIONS:
            digests.EXTRA_SECTIONS.append(mail.digest_section)
