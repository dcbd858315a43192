"""English for an international forum: day, abbreviated month, year and a 24-hour clock
(never the ambiguous m/d/Y)."""

DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
