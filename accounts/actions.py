"""The write path for accounts: inviting, accepting, editing a profile."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import invitations
from accounts.models import Invitation, Member, Organization
from accounts.zones import zone_for_country
from forum import visibility
from forum.models import Membership, Role, WorkingGroup


def check_not_a_member(email: str) -> None:
    """Refuse to invite an address that already has an account."""
    email = email.strip().lower()
    if get_user_model().objects.filter(email__iexact=email).exists():
        raise ValidationError(_("%(email)s already has an account.") % {"email": email})


def invite(
    *,
    inviter: Member,
    email: str,
    organization_name: str,
    country: str,
    groups: Iterable[WorkingGroup],
    role: str,
    language: str = "en",
    base_url: str,
) -> Invitation:
    """Invite `email` and mail the link; the inviter must chair every group (or be staff)."""
    email = email.strip().lower()
    groups = list(groups)
    if not groups:
        raise ValidationError(_("Choose at least one working group."))
    allowed = set(visibility.invitable_groups(inviter).values_list("pk", flat=True))
    if any(group.pk not in allowed for group in groups):
        raise PermissionDenied(_("You may only invite people to groups you chair."))
    if role not in Role.values:
        raise ValidationError(_("Unknown role."))
    check_not_a_member(email)
    now = timezone.now()
    with transaction.atomic():
        organization, _created = Organization.objects.get_or_create(
            name=organization_name.strip(), defaults={"country": country}
        )
        # A new invitation replaces the inviter's own earlier one still open for the address;
        # other people's invitations stand.
        Invitation.objects.filter(
            email__iexact=email,
            invited_by=inviter,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
        ).update(revoked_at=now)
        invitation = Invitation.objects.create(
            email=email,
            organization=organization,
            country=country,
            role=role,
            invited_by=inviter,
            created_at=now,
            expires_at=now + settings.INVITATION_MAX_AGE,
        )
        invitation.groups.set(groups)
        link = base_url.rstrip("/") + reverse(
            "invitation_accept", kwargs={"token": invitations.make_token(invitation)}
        )
        transaction.on_commit(lambda: _send_invitation(invitation, link, language))
    return invitation


def _send_invitation(invitation: Invitation, link: str, language: str) -> None:
    with translation.override(language):
        context = {
            "invitation": invitation,
            "link": link,
            "groups": list(invitation.groups.all()),
            "expires_at": invitation.expires_at,
            # The invitee's likely zone (their country's), and UTC beside it.
            "invitee_zone": zone_for_country(invitation.country.code),
        }
        subject = _("You are invited to the working-group forum")
        text = render_to_string("email/invitation.txt", context)
        html = render_to_string("email/invitation.html", context)
    message = EmailMultiAlternatives(subject, text, to=[invitation.email])
    message.attach_alternative(html, "text/html")
    message.send()


def revoke_invitation(*, actor: Member, invitation: Invitation) -> None:
    """Withdraw an open invitation sent by `actor` (or any, for staff)."""
    if not (actor.is_staff or invitation.invited_by_id == actor.pk):
        raise PermissionDenied(_("You may only withdraw invitations you sent."))
    Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def unique_handle(seed: str) -> str:
    """Return an unused @handle derived from `seed` (a name or an email)."""
    ascii_seed = unicodedata.normalize("NFKD", seed).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9_-]+", "-", ascii_seed.lower()).strip("-")[:30] or "member"
    handle, n = base, 1
    members = get_user_model().objects
    while members.filter(handle=handle).exists():
        n += 1
        handle = f"{base}-{n}"
    return handle


def accept_invitation(*, invitation: Invitation, member: Member) -> Member:
    """Give a newly signed-up member the invitation's country, organization, groups and role.

    The invitation is locked so that it is used once, even by two racing requests.
    """
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        invitations.ensure_open(locked)
        member.country = locked.country
        member.organization_id = locked.organization_id
        member.save(update_fields=["country", "organization"])
        for group in locked.groups.all():
            Membership.objects.update_or_create(
                member=member, group=group, defaults={"role": locked.role}
            )
        locked.accepted_at = timezone.now()
        locked.accepted_by = member
        locked.save(update_fields=["accepted_at", "accepted_by"])
    return member


def update_profile(*, member: Member, **fields: object) -> Member:
    """Save the fields a member may change about themselves.

    Country and organization come from the invitation and decide who reads
    what, so only staff change them (in the admin).
    """
    editable = {"display_name", "handle", "language", "time_zone"}
    unknown = set(fields) - editable
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(member, name, value)
    member.full_clean(exclude=["password"])
    member.save(update_fields=list(fields))
    return member


NOTIFICATION_SETTINGS = {
    "digest_frequency",
    "digest_weekday",
    "digest_hour",
    "digest_skip_groups",
    "email_mentions",
    "email_replies",
    "language",
}


def update_notification_settings(*, member: Member, **fields: object) -> Member:
    """Save when and how `member` hears from the forum by email."""
    unknown = set(fields) - NOTIFICATION_SETTINGS
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(member, name, value)
    member.full_clean(exclude=["password"])
    member.save(update_fields=list(fields))
    return member


# Other apps' parts of the immediate email (direct messages) switch themselves off here.
NOTIFICATION_OPT_OUTS: list[Callable[[Member], None]] = []


def unsubscribe(*, member: Member, what: str) -> None:
    """Switch off the digest (`digest`) or immediate emails (`notifications`)."""
    if what == "digest":
        fields = {"digest_frequency": "off"}
    elif what == "notifications":
        fields = {"email_mentions": False, "email_replies": False}
    else:
        raise ValueError(what)
    get_user_model().objects.filter(pk=member.pk).update(**fields)
    if what == "notifications":
        for opt_out in NOTIFICATION_OPT_OUTS:
            opt_out(member)


AVATAR_MAX_BYTES = 5 * 1024 * 1024
AVATAR_MAX_PIXELS = 40_000_000
AVATAR_SIZE = 160


def set_avatar(*, member: Member, upload) -> Member:
    """Store `upload` (a file) as `member`'s picture: the centre square, 160 px, WebP,
    rebuilt from its pixels so that none of the upload's metadata (EXIF, GPS) is kept."""
    from io import BytesIO

    from PIL import Image, ImageOps, UnidentifiedImageError

    from accounts.models import Avatar

    if upload.size > AVATAR_MAX_BYTES:
        raise ValidationError(_("The picture is larger than 5 MB."), code="too_big")
    data = upload.read(AVATAR_MAX_BYTES + 1)
    try:
        with Image.open(BytesIO(data)) as probe:
            if probe.width * probe.height > AVATAR_MAX_PIXELS:
                raise ValidationError(_("The picture has too many pixels."), code="too_big")
            probe.verify()
        with Image.open(BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image).convert("RGB")
            square = ImageOps.fit(image, (AVATAR_SIZE, AVATAR_SIZE), Image.Resampling.LANCZOS)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise ValidationError(
            _("That file is not a picture we can read (JPEG, PNG, WebP or GIF)."), code="bad_image"
        ) from None
    clean = Image.new("RGB", square.size)
    clean.paste(square)
    out = BytesIO()
    clean.save(out, format="WEBP", quality=82)
    with transaction.atomic():
        Avatar.objects.update_or_create(
            member=member, defaults={"image": out.getvalue(), "updated_at": timezone.now()}
        )
        # A new number each time (never one used before): the picture's URL carries it
        # and browsers keep each URL for a year.
        version = max(member.avatar_version + 1, int(timezone.now().timestamp()))
        Member.objects.filter(pk=member.pk).update(avatar_version=version)
    member.avatar_version = version
    return member


def remove_avatar(*, member: Member) -> Member:
    """Go back to initials on a colour."""
    from accounts.models import Avatar

    with transaction.atomic():
        Avatar.objects.filter(member=member).delete()
        Member.objects.filter(pk=member.pk).update(avatar_version=0)
    member.avatar_version = 0
    return member
