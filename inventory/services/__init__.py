"""Inventory services: plain functions over a Session that raise ``inventory.errors`` on bad input.

The web routes, the JSON API, the CLI, import and the benchmarks all go through these; callers own the
transaction (commit or roll back). See docs/inventory-models.md for the list.
"""

from inventory.services.boxes import (
    BoxIn,
    FileIn,
    add_files,
    box_code,
    create_box,
    create_fonds,
    ensure_catalogue,
    get_box,
    get_fonds,
)
from inventory.services.cleaning import (
    check_recurrence,
    complete_due_tasks,
    complete_task,
    create_schedule,
    ensure_task,
    open_tasks_for_room,
    parse_interval,
)
from inventory.services.labels import (
    ensure_label,
    ensure_room_label,
    label_tokens,
    new_token,
    reissue_label,
    resolve_label,
)
from inventory.services.movements import (
    CHECKOUT_PURPOSES,
    DAMAGE_KINDS,
    check_out,
    hand_over,
    inspect_box,
    mark_cleaned,
    place_box,
    report_damage,
    return_box,
)
from inventory.services.search import SearchHit, SearchResults, search
from inventory.services.shelving import create_shelving, get_shelf, get_slot, get_unit, slot_usage
from inventory.services.stocktake import (
    StocktakeResult,
    cancel_stocktake,
    confirm_stocktake,
    scan_box,
    start_stocktake,
    stocktake_result,
)
from inventory.services.views import (
    BoxView,
    box_view,
    checked_out_boxes,
    room_view,
    shelf_view,
    slot_paths,
    slot_view,
)

__all__ = [
    "CHECKOUT_PURPOSES",
    "DAMAGE_KINDS",
    "BoxIn",
    "BoxView",
    "FileIn",
    "SearchHit",
    "SearchResults",
    "StocktakeResult",
    "add_files",
    "box_code",
    "box_view",
    "cancel_stocktake",
    "check_out",
    "check_recurrence",
    "checked_out_boxes",
    "complete_due_tasks",
    "complete_task",
    "confirm_stocktake",
    "create_box",
    "create_fonds",
    "create_schedule",
    "create_shelving",
    "ensure_catalogue",
    "ensure_label",
    "ensure_room_label",
    "ensure_task",
    "get_box",
    "get_fonds",
    "get_shelf",
    "get_slot",
    "get_unit",
    "hand_over",
    "inspect_box",
    "label_tokens",
    "mark_cleaned",
    "new_token",
    "open_tasks_for_room",
    "parse_interval",
    "place_box",
    "reissue_label",
    "report_damage",
    "resolve_label",
    "return_box",
    "room_view",
    "scan_box",
    "search",
    "shelf_view",
    "slot_paths",
    "slot_usage",
    "slot_view",
    "start_stocktake",
    "stocktake_result",
]
