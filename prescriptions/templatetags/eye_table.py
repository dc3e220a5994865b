"""Helpers of the R/L grid in the refraction and fitting modals."""

from django import template

register = template.Library()


@register.filter
def with_labels(fields, labels) -> list[tuple]:
    """(bound field, column label) pairs of one eye's row, so each cell can
    name its value where the grid is stacked per eye (a phone)."""
    return list(zip(fields, labels, strict=True))
