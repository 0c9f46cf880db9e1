"""What a node is built from, parsed from the registry's ``hardware`` string (e.g. ``esp32-bme280+mq2``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from inventory.errors import RegistryError

CLIMATE_SENSORS = ("sht3x", "bme280", "dht22")
# Pins of a typical ESP32 DevKit / ESP8266 D1 mini wiring; a node's ``meta["pins"]`` overrides them.
DEFAULT_PINS = {"sda": 21, "scl": 22, "dht": 4, "smoke_relay": 27, "mq2": 34, "battery": 35}
ESP8266_PINS = {"sda": 4, "scl": 5, "dht": 14, "smoke_relay": 12, "mq2": 17, "battery": 17}  # 17 = A0
# ESP32 ADC1 pins only: ADC2 cannot be read while Wi-Fi is on.
ADC1_PINS = {32, 33, 34, 35, 36, 37, 38, 39}
BOARDS = {
    "esp32": ("esp32", "esp32dev"),
    "esp32dev": ("esp32", "esp32dev"),
    "esp8266": ("esp8266", "d1_mini"),
    "d1_mini": ("esp8266", "d1_mini"),
    "nodemcu": ("esp8266", "nodemcuv2"),
}


@dataclass(frozen=True, slots=True)
class Hardware:
    """One ESP32 node: its climate sensor and optional smoke inputs and battery divider."""

    platform: str
    board: str
    climate: str
    smoke_relay: bool
    mq2: bool
    battery: bool
    pins: dict[str, int]


def parse_hardware(text: str, has_smoke: bool, meta: dict[str, Any] | None = None) -> Hardware:
    """``esp32-sht3x``, ``esp32-bme280+mq2``, ``esp32-dht22+relay+battery`` …; a smoke node without
    ``mq2``/``relay`` gets the detector relay input."""
    parts = [p for p in re.split(r"[-+ ,()/]", text.lower()) if p]
    board = next((BOARDS[p] for p in parts if p in BOARDS), None)
    if board is None:
        raise RegistryError(
            f"hardware {text!r} is not an ESPHome node: use e.g. esp32-sht3x, esp32-bme280+mq2, esp32-dht22+relay, "
            "esp8266-sht3x"
        )
    climate = [p for p in parts if p in CLIMATE_SENSORS or p in ("sht30", "sht31", "am2302", "dht")]
    if not climate:
        raise RegistryError(f"hardware {text!r} names no climate sensor: add one of {', '.join(CLIMATE_SENSORS)}")
    name = {"sht30": "sht3x", "sht31": "sht3x", "am2302": "dht22", "dht": "dht22"}.get(climate[0], climate[0])
    mq2 = "mq2" in parts or "mq-2" in text.lower()
    relay = "relay" in parts or "smoke" in parts or (has_smoke and not mq2)
    esp8266 = board[0] == "esp8266"
    pins = dict(ESP8266_PINS if esp8266 else DEFAULT_PINS)
    battery = "battery" in parts or "batt" in parts
    if esp8266 and mq2 and battery:
        raise RegistryError(f"hardware {text!r}: an ESP8266 has one analog input (A0), not enough for MQ-2 and battery")
    for key, value in ((meta or {}).get("pins") or {}).items():
        if key not in DEFAULT_PINS or not isinstance(value, int):
            raise RegistryError(f"unknown or invalid pin {key}={value!r}: pins are {', '.join(DEFAULT_PINS)}")
        pins[key] = value
    for key in ("mq2", "battery"):
        if not esp8266 and pins[key] not in ADC1_PINS:
            raise RegistryError(f"pin {key}={pins[key]} must be an ADC1 pin (32–39) to be read with Wi-Fi on")
    return Hardware(
        platform=board[0], board=board[1], climate=name, smoke_relay=relay, mq2=mq2, battery=battery, pins=pins
    )
