"""How dates and times read in English, one way everywhere (FORMAT_MODULE_PATH): "13 Dec 2026",
"13 Dec 2026, 18:30". Templates use SHORT_DATE_FORMAT and SHORT_DATETIME_FORMAT only."""

DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
