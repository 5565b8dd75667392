"""Form helpers shared by every package."""

from wtforms.fields.choices import SelectChoice


def choices(pairs) -> list[SelectChoice]:
    """Turn (value, label) pairs into WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def strip_text(value) -> str:
    """Strip submitted text; a field missing from the request becomes empty, never None."""
    return value.strip() if isinstance(value, str) else ""


def pick_arg(args, name: str, allowed) -> str:
    """Return a query argument if it is one of the allowed values, else an empty string."""
    value = (args.get(name) or "").strip()
    return value if value in allowed else ""


def form_status(form) -> int:
    """Return the status for a rendered form: 422 when it holds errors."""
    return 422 if form.errors else 200


def choice_values(field) -> set[str]:
    """Return the values a select field offers."""
    return {choice.value for choice in field.choices}
