from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = _("Direct messages")

    def ready(self) -> None:
        from attachments.owners import OwnerKind, register
        from conversations import mail, visibility

        # Files on direct messages: participants only (docs/conversations.md).
        register(
            OwnerKind(model="conversations.DirectMessage", visible=visibility.messages_with_files)
        )
        from forum import digests

        # Unread direct messages ride along in each member's digest.
        if mail.digest_section not in digests.EXTRA_SECTIONS:
            digests.EXTRA_SECTIONS.append(mail.digest_section)
        from accounts import actions as accounts
        from forum import notification_mail

        # And in the immediate notification email, which "Stop these emails" stops too.
        if mail.immediate_section not in notification_mail.EXTRA_SECTIONS:
            notification_mail.EXTRA_SECTIONS.append(mail.immediate_section)
        if mail.stop_immediate not in accounts.NOTIFICATION_OPT_OUTS:
            accounts.NOTIFICATION_OPT_OUTS.append(mail.stop_immediate)
