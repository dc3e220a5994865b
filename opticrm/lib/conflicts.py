"""The conflict form of optimistic locking, shared by the edit forms."""

from collections.abc import Callable, Iterable

from django import forms
from django.db import models
from django.http import HttpRequest


def conflict_form(
    request: HttpRequest,
    current: models.Model,
    *,
    make_form: Callable[[dict, models.Model], forms.BaseForm],
    version: int,
    fields: Iterable[str],
    display: Callable[[models.Model, str], str],
    message: str,
) -> forms.BaseForm:
    """The user's input again, now based on ``version`` (the current one),
    with the values someone else saved meanwhile shown next to each field."""
    fields = tuple(fields)
    # Read the saved values before binding: validating the form writes the
    # user's input into the instance.
    saved_values = {name: getattr(current, name) for name in fields}
    saved_display = {name: display(current, name) for name in fields}
    data = request.POST.copy()
    data["version"] = str(version)
    form = make_form(data, current)
    form.is_valid()
    form.add_error(None, message)
    # Compare cleaned values: "01.01.1990" typed is the same as 1990-01-01 saved.
    form.conflict_display = {
        name: saved_display[name]
        for name in fields
        if name not in form.cleaned_data or form.cleaned_data[name] != saved_values[name]
    }
    return form
