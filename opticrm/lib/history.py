"""The change history of a record, as people read it: who, when, which
fields from what to what. The changes themselves are written by PostgreSQL
triggers (django-pghistory), whatever path changed the row."""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from pghistory.models import Events
from phonenumber_field.modelfields import PhoneNumberField

from opticrm.lib.phone import format_phone

# Bookkeeping the triggers see but people do not need to read.
HIDDEN = {"updated_by", "created_by", "id"}


@dataclass
class Change:
    when: datetime.datetime
    who: str
    created: bool
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # label, before, after


def _display(model_field: models.Field, value, related: dict) -> str:
    if value in (None, ""):
        return "—"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.ForeignKey):
        return related.get((model_field.name, value), str(value))
    if isinstance(model_field, PhoneNumberField):
        return format_phone(value)
    if isinstance(model_field, models.BooleanField):
        return _("yes") if value else _("no")
    if isinstance(model_field, models.DateTimeField):
        moment = parse_datetime(str(value))
        if moment is not None:
            return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
    if isinstance(model_field, models.DateField):
        day = parse_date(str(value))
        if day is not None:
            return formats.date_format(day, "SHORT_DATE_FORMAT")
    if isinstance(model_field, models.DecimalField):
        return formats.number_format(value, decimal_pos=model_field.decimal_places)
    return str(value)


def _related_names(model, events) -> dict:
    """The names of every foreign key value in the diffs: one query per
    foreign key field, however many changes there are."""
    wanted: dict[str, set] = {}
    for event in events:
        for name, values in (event.pgh_diff or {}).items():
            wanted.setdefault(name.removesuffix("_id"), set()).update(v for v in values if v)
    names = {}
    for name, ids in wanted.items():
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if isinstance(model_field, models.ForeignKey) and name not in HIDDEN and ids:
            for obj in model_field.related_model._default_manager.filter(pk__in=ids):
                names[(name, obj.pk)] = str(obj)
    return names


def latest_event_id(obj: models.Model) -> int:
    """The id of the newest recorded change of ``obj`` (0 if none): a version
    that moves with every change people make, and not with bookkeeping such
    as the stock that the history leaves out."""
    return obj.events.order_by("-pgh_id").values_list("pgh_id", flat=True).first() or 0


def with_latest_event_id(queryset: models.QuerySet) -> models.QuerySet:
    """``queryset`` with ``history_version`` (see latest_event_id) read in the
    same query as the rows, so a form never pairs old values with a newer version."""
    events = queryset.model._meta.get_field("events").related_model
    newest = events.objects.filter(pgh_obj=models.OuterRef("pk")).order_by("-pgh_id")
    return queryset.annotate(
        history_version=Coalesce(models.Subquery(newest.values("pgh_id")[:1]), 0)
    )


def _user_name(user) -> str:
    return user.get_full_name() or user.get_username()


def who_changed(context: dict, users: dict | None = None) -> str:
    """The name people know for whoever made a change: the user, the API
    key, or "system" for changes made outside the app. ``users`` maps ids to
    names when the caller has them; otherwise the user is looked up."""
    user_id = context.get("user")
    if user_id is not None:
        if users is None:
            user = get_user_model().objects.filter(pk=user_id).first()
            return _user_name(user) if user else "—"
        return users.get(user_id, "—")
    if context.get("api_key"):
        return _("API: %(key)s") % {"key": context["api_key"]}
    return _("system")


def record_history(obj: models.Model, *, limit: int = 100) -> list[Change]:
    """The newest ``limit`` changes of ``obj``, newest first."""
    model = type(obj)
    events = list(Events.objects.tracks(obj).order_by("-pgh_created_at", "-pgh_id")[:limit])
    users = {
        user.pk: _user_name(user)
        for user in get_user_model().objects.filter(
            pk__in={(e.pgh_context or {}).get("user") for e in events} - {None}
        )
    }
    related = _related_names(model, events)
    changes = []
    for event in events:
        change = Change(
            when=event.pgh_created_at,
            who=who_changed(event.pgh_context or {}, users),
            created=event.pgh_label == "insert",
        )
        for name, (before, after) in (event.pgh_diff or {}).items():
            try:
                model_field = model._meta.get_field(name.removesuffix("_id"))
            except FieldDoesNotExist:
                continue
            if model_field.name in HIDDEN:
                continue
            change.fields.append(
                (
                    str(model_field.verbose_name),
                    _display(model_field, before, related),
                    _display(model_field, after, related),
                )
            )
        if change.created or change.fields:
            changes.append(change)
    return changes
