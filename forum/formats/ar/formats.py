"""Arabic dates: day before month, Arabic month names and the ص/م markers (Django leaves
the date-and-time formats unset for Arabic, which falls back to the American m/d/Y)."""

DATETIME_FORMAT = "j F Y، g:i A"
SHORT_DATETIME_FORMAT = "j F Y، g:i A"
