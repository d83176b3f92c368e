"""How dates and times read in Russian, one way everywhere (FORMAT_MODULE_PATH): "13.12.2026",
"13.12.2026 18:30". Templates use SHORT_DATE_FORMAT and SHORT_DATETIME_FORMAT only."""

DATE_FORMAT = "j E Y г."
SHORT_DATE_FORMAT = "d.m.Y"
DATETIME_FORMAT = "j E Y г. H:i"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
TIME_FORMAT = "H:i"
