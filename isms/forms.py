"""Form helpers shared by every package."""

from wtforms.fields.choices import SelectChoice


def choices(pairs) -> list[SelectChoice]:
    """Turn (value, label) pairs into WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def choice_values(field) -> set[str]:
    """Return the values a select field offers."""
    return {choice.value for choice in field.choices}
