"""Form helpers shared by every package."""

from wtforms.fields.choices import SelectChoice


def choices(pairs) -> list[SelectChoice]:
    """Turn (value, label) pairs into WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def strip_text(value) -> str:
    """Strip submitted text; a field missing from the request becomes empty, never None."""
    return value.strip() if isinstance(value, str) else ""


def form_status(form) -> int:
    """Return the status for a rendered form: 422 when it holds errors."""
    return 422 if form.errors else 200


def choice_values(field) -> set[str]:
    """Return the values a select field offers."""
    return {choice.value for choice in field.choices}
