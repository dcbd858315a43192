"""From a listing to a signed agreement in a real browser: a CN member lists a
security-equipment project in ZM, a KE moderator approves it, a ZM member finds it
under "Suggested for you" with its reason and expresses interest, the owner sees it
arrive live and accepts, contact details open to both, the ZM member proposes two
times, the owner picks one, each sees it in their own zone, and the owner records an
announceable agreement."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from forum.models import ModerationPolicy, Role
from projects.models import Docking, DockingState, Listing, ListingState, Offer
from tests.browser.conftest import sign_in, wait_until
from tests.browser.test_moderation_in_browser import sign_in_with_code
from tests.conftest import PASSWORD, create_member, working_group
from tests.projects.conftest import operating_in, sector

LIVE = "!!window.dockingLive && window.dockingLive.state === 'live'"


def patient(page):
    """Give a busy shared machine time: the steps travel server -> inbox -> page."""
    page.set_default_timeout(30_000)
    return page


def test_a_listing_goes_to_a_signed_agreement(new_page):
    promo = working_group("project-promotion", ModerationPolicy.CROSS_BORDER)
    owner = create_member(1, country="CN", groups=[promo], time_zone="Asia/Shanghai")
    partner = create_member(2, country="ZM", groups=[promo], time_zone="Africa/Lusaka")
    moderator = create_member(3, country="KE", groups=[promo], role=Role.MODERATOR, mfa=True)
    org = partner.organization
    org.sectors.set([sector("security-equipment")])
    operating_in(org, "ZM")
    org.offers = [Offer.EQUIPMENT]
    org.save()

    # The CN member lists the project.
    lister = patient(new_page())
    sign_in(lister, owner.email, PASSWORD)
    lister.goto("/projects/new/")
    lister.select_option("select[name=kind]", "project")
    lister.fill("input[name=title]", "Border scanners for Chirundu")
    lister.fill("textarea[name=summary]", "Two scanners and a control room at the border post.")
    lister.select_option("select[name=sector]", label="Security equipment")
    lister.select_option("select[name=host_country]", "ZM")
    lister.select_option("select[name=size]", "1m_10m")
    lister.select_option("select[name=stage]", "procurement")
    lister.check("input[name=seeks][value=equipment]")
    lister.fill("input[name=contact_name]", "Wang Fang")
    lister.fill("input[name=contact_email]", "wang.fang@example.cn")
    lister.check("input[name=audience][value=group]")
    lister.get_by_role("button", name="Submit for publication").click()
    lister.wait_for_selector("text=Your listing waits for a moderator")
    listing = Listing.objects.get()
    assert listing.state == ListingState.PENDING

    # A moderator from another country approves it from the queue.
    reviewer = patient(new_page())
    sign_in_with_code(reviewer, moderator.email)
    reviewer.goto("/mod/")
    reviewer.click(".listing-reviews >> text=Border scanners for Chirundu")
    reviewer.get_by_role("button", name="Approve").click()
    reviewer.wait_for_selector("text=Approved.")
    listing.refresh_from_db()
    assert listing.state == ListingState.PUBLISHED and listing.thread_id

    # The owner waits on the listing page.
    lister.goto(listing.get_absolute_url())
    wait_until(lister, LIVE, timeout=30)

    # The ZM member finds it suggested, with why, and expresses interest.
    zm = patient(new_page())
    sign_in(zm, partner.email, PASSWORD)
    zm.goto("/projects/")
    suggested = zm.locator("#suggested")
    suggested.get_by_text("same sector · you operate in ZM · they seek equipment").wait_for()
    suggested.get_by_role("link", name="Border scanners for Chirundu").click()
    assert "wang.fang@example.cn" not in zm.content()
    zm.fill("textarea[name=message]", "We install and maintain scanners in Zambia.")
    zm.get_by_role("button", name="Express interest").first.click()
    zm.wait_for_selector("#docking-state >> text=interested")
    docking = Docking.objects.get()
    wait_until(zm, LIVE, timeout=30)

    # The owner sees it arrive live, opens it and accepts.
    lister.wait_for_selector("#dockings >> text=Org ZM")
    lister.click("#dockings >> text=Org ZM")
    wait_until(lister, LIVE, timeout=30)
    lister.get_by_role("button", name="Accept the introduction").click()
    lister.wait_for_selector("#docking-state >> text=introduced")
    # Contact details, for both: the ZM page updates live.
    zm.wait_for_selector("#contact >> text=wang.fang@example.cn")
    assert partner.email in lister.locator("#contact").inner_text()

    # The ZM member proposes two times, in Lusaka time (once the live updates have settled).
    zm.wait_for_load_state("networkidle")
    day = timezone.localdate() + timedelta(days=5)
    zm.fill("input[name=slot1]", f"{day.isoformat()}T10:00")
    zm.fill("input[name=slot2]", f"{(day + timedelta(days=1)).isoformat()}T11:00")
    zm.get_by_role("button", name="Propose these times").click()
    zm.wait_for_selector("#docking-state >> text=meeting requested")

    # The owner sees them in Shanghai time and picks the first.
    lister.wait_for_selector("#slots .slot")
    first = lister.locator("#slots .slot time").first
    assert first.get_attribute("datetime") == f"{day.isoformat()}T16:00:00+08:00"
    lister.locator("#slots .slot").first.get_by_role("button", name="Pick this time").click()
    lister.wait_for_selector("#docking-state >> text=meeting scheduled")
    zm.wait_for_selector("#slots .slot.chosen")
    chosen = zm.locator("#slots .slot.chosen time").first
    assert chosen.get_attribute("datetime") == f"{day.isoformat()}T10:00:00+02:00"
    assert lister.locator("#slots .slot.chosen >> text=Add to calendar").count() == 1

    # The owner records an announceable agreement.
    lister.fill("input[name=signed_on]", timezone.localdate().isoformat())
    lister.select_option("select[name=kind]", "mou")
    lister.fill("input[name=value]", "1500000")
    lister.check("input[name=announceable]")
    lister.get_by_role("button", name="Record the agreement").click()
    lister.wait_for_selector("#docking-state >> text=agreement signed")
    zm.wait_for_selector("#agreement >> text=may be announced")
    docking.refresh_from_db()
    assert docking.state == DockingState.SIGNED and docking.announceable
    assert list(docking.steps.values_list("action", flat=True)) == [
        "express_interest",
        "accept",
        "introduced",
        "request_meeting",
        "pick_slot",
        "sign",
    ]
    zm.screenshot(path="var/browser-docking.png", full_page=True)
