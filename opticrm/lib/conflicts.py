"""The conflict form of optimistic locking, shared by the edit forms.

When someone else saved a record while a user was editing it, the user's
save is refused and the form comes back as a three-way merge of the values
the user loaded, the values saved meanwhile and the values the user typed:
fields the user did not touch take the newer saved value, the user's own
changes stay, and where both changed the same field differently the form
says so at that field. Saving the merged form again can therefore never
write a stale value over a colleague's newer one."""

from collections.abc import Callable, Iterable

from django import forms
from django.db import models
from django.forms.boundfield import BoundField
from django.http import HttpRequest, QueryDict


class RemembersLoadedValues:
    """A form mixin: each field in ``loaded_value_fields`` posts, besides
    what the user typed, the value the form was loaded with (Django's hidden
    initial), so ``changed_data`` names exactly the user's own changes."""

    loaded_value_fields: Iterable[str] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.loaded_value_fields:
            if self.is_bound and self.add_initial_prefix(name) not in self.data:
                # Posted without it (a page from before, a script): the
                # user's changes are then what differs from the saved values.
                continue
            self.fields[name].show_hidden_initial = True

    @property
    def loaded_inputs(self) -> "_LoadedInputs":
        """``{{ form.loaded_inputs.customer }}``: the hidden "loaded value"
        input alone, for a field whose visible input a template writes itself."""
        return _LoadedInputs(self)


class _LoadedInputs:
    def __init__(self, form: forms.BaseForm):
        self.form = form

    def __getitem__(self, name: str) -> str:
        field = self.form[name]
        return field.as_hidden(only_initial=True) if field.field.show_hidden_initial else ""


def _put(data: QueryDict, name: str, value) -> None:
    """Write what a widget would post for ``value`` (checkboxes post nothing when off)."""
    if value is None or value is False:
        data.pop(name, None)
    elif isinstance(value, list | tuple):
        data.setlist(name, [str(item) for item in value])
    else:
        data[name] = str(value)


def _posted(field: BoundField, value) -> object:
    """The value as ``field``'s widget renders, and therefore posts, it."""
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        return "on" if widget.check_test(value) else None
    return widget.format_value(value)


def _posted_initial(field: BoundField, value) -> object:
    """``value`` as the hidden "loaded value" input of ``field`` renders it."""
    widget = field.field.hidden_widget()
    widget.is_localized = field.field.localize
    return widget.format_value(value)


def conflict_form(
    request: HttpRequest,
    current: models.Model,
    *,
    make_form: Callable[[dict | None, models.Model], forms.BaseForm],
    version: int,
    fields: Iterable[str],
    display: Callable[[models.Model, str], str],
    message: str,
) -> forms.BaseForm:
    """The form again, now based on ``version`` (the current one), merged
    three ways; ``conflict_display`` holds the saved value of each field
    where the user's change collides with a change saved meanwhile."""
    fields = tuple(fields)
    # Read the saved values before binding anything: validating a model
    # form writes the input into its instance.
    saved = make_form(None, current)
    saved_initial = {name: saved[name].initial for name in fields}
    saved_values = {name: saved[name].value() for name in fields}
    saved_display = {name: display(current, name) for name in fields}
    typed = make_form(request.POST, current)
    mine = set(typed.changed_data)

    data = request.POST.copy()
    collisions = []
    for name in fields:
        field = typed[name]
        if name in mine:
            # The user's change stays; it collides when the saved value moved
            # away from what the user loaded, to something else than typed.
            loaded = typed._widget_data_value(field.field.hidden_widget(), field.html_initial_name)
            moved = field.field.has_changed(saved_initial[name], loaded)
            if moved and field.field.has_changed(saved_initial[name], field.data):
                collisions.append(name)
        else:
            _put(data, field.html_name, _posted(saved[name], saved_values[name]))
        # What the merged form was "loaded" with is now the saved state.
        if name in getattr(typed, "loaded_value_fields", ()):
            _put(data, field.html_initial_name, _posted_initial(saved[name], saved_values[name]))
    data["version"] = str(version)

    form = make_form(data, current)
    form.is_valid()
    form.add_error(None, message)
    form.conflict_display = {name: saved_display[name] for name in collisions}
    return form
