"""What other packages may ask of controls (nothing below controls may call it)."""

from controls.api_records import (
    ControlRecord,
    DecisionError,
    NotAllowed,
    ReviewRecord,
    Stale,
    add_review,
    decide,
    get_control,
    list_controls,
    reviews_of,
)

__all__ = [
    "ControlRecord",
    "DecisionError",
    "NotAllowed",
    "ReviewRecord",
    "Stale",
    "add_review",
    "decide",
    "get_control",
    "list_controls",
    "reviews_of",
]
