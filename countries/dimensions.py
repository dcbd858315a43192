"""The built-in risk dimensions and the written definitions of their five levels.

Stored by the data migration in English; templates translate them with {% translate %}.
Wrapped in gettext_noop so that makemessages finds them.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop as N_

# (code, name, description, {level: definition}); levels 1..5 = insignificant..extreme.
DIMENSIONS: tuple[tuple[str, str, str, dict[int, str]], ...] = (
    (
        "political-security",
        N_("Political and security"),
        N_("Stability of government, civil unrest, conflict, terrorism and crime."),
        {
            1: N_("Stable institutions; no known threat to people or assets."),
            2: N_("Occasional protests or crime; normal precautions suffice."),
            3: N_("Recurrent unrest or crime in places; operations need security planning."),
            4: N_("Serious unrest, insurgency or political crisis; assets and staff at risk."),
            5: N_("Armed conflict or collapse of order; operations cannot be protected."),
        },
    ),
    (
        "legal-regulatory",
        N_("Legal and regulatory"),
        N_("Rule of law, contract enforcement, expropriation, licensing and tax changes."),
        {
            1: N_("Predictable law, independent courts, contracts reliably enforced."),
            2: N_("Minor delays or ambiguities; disputes resolved in reasonable time."),
            3: N_("Frequent rule changes or slow courts; contracts need careful drafting."),
            4: N_("Arbitrary decisions, weak enforcement or creeping expropriation."),
            5: N_("No effective legal protection; outright expropriation has occurred."),
        },
    ),
    (
        "currency-financial",
        N_("Currency and financial (transfer, convertibility)"),
        N_("Convertibility, transfer of profits and capital, exchange-rate and banking risk."),
        {
            1: N_("Free convertibility and transfer; stable currency and banks."),
            2: N_("Some paperwork or short delays for transfers; moderate volatility."),
            3: N_("Transfers delayed for weeks or rationed; notable depreciation."),
            4: N_("Transfers blocked for long periods; parallel exchange rates."),
            5: N_("No convertibility or transfer; banking system failing."),
        },
    ),
    (
        "operational",
        N_("Operational"),
        N_("Infrastructure, logistics, labour, power, permits and corruption in daily work."),
        {
            1: N_("Reliable infrastructure and services; routine operations."),
            2: N_("Occasional outages or delays that planning absorbs."),
            3: N_("Regular disruption of power, transport or permits; extra costs."),
            4: N_("Severe and frequent disruption; operations often interrupted."),
            5: N_("Operations practically impossible without own infrastructure."),
        },
    ),
)

LEVEL_NAMES = {
    1: N_("insignificant"),
    2: N_("low"),
    3: N_("medium"),
    4: N_("high"),
    5: N_("extreme"),
}


def load_dimensions(dimension_model, level_model) -> None:
    """Create the dimensions and their level definitions that are missing, with the
    given models: the data migration passes its historical ones, the demo seed (after
    a flush emptied the tables) the app's."""
    for position, (code, name, description, levels) in enumerate(DIMENSIONS):
        dimension, _created = dimension_model.objects.get_or_create(
            code=code,
            defaults={"name": name, "description": description, "position": position},
        )
        for level, text in levels.items():
            level_model.objects.get_or_create(
                dimension=dimension, level=level, defaults={"text": text}
            )
