"""The InfluxDB schema kho writes and reads, and InfluxQL quoting: the one place both are defined.

Measurement ``climate`` (tags ``site``, ``room``, ``device``; fields ``CLIMATE_FIELDS``) lives in retention policy
``raw``; a continuous query writes its hourly means into RP ``forever`` as measurement ``climate_1h``, whose fields
are named ``mean_<field>`` (InfluxQL's ``mean(*)``). Measurement ``device_status`` carries ``online`` (1 or 0).
"""

from __future__ import annotations

CLIMATE = "climate"
HOURLY = "climate_1h"
STATUS = "device_status"
RAW_RP = "raw"
FOREVER_RP = "forever"
TAGS = ("site", "room", "device")
CLIMATE_FIELDS = ("temperature_c", "humidity_pct", "dew_point_c", "smoke", "smoke_level", "battery_v")
# Field of ``device_status`` written by the collector: 1 online, 0 offline.
ONLINE_FIELD = "online"


def hourly_field(name: str) -> str:
    """The name a ``climate`` field has in the hourly means of ``climate_1h``."""
    return f"mean_{name}"


def ident(name: str) -> str:
    """A double-quoted InfluxQL identifier."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def literal(value: str) -> str:
    """A single-quoted InfluxQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
