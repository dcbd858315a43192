"""French: Django's own, with the month spelled out in the short form too."""

DATETIME_FORMAT = "j F Y H:i"
SHORT_DATETIME_FORMAT = "j M Y H:i"
