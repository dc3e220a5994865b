"""The change history of a record, as people read it: who, when, which
fields from what to what. The changes themselves are written by PostgreSQL
triggers (django-pghistory), whatever path changed the row."""

import datetime
import json
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from pghistory.models import Context
from phonenumber_field.modelfields import PhoneNumberField

from opticrm.lib.phone import format_phone

# Bookkeeping the triggers see but people do not need to read.
HIDDEN = {"updated_by", "created_by", "id"}
# The soft-delete mark (customers): read as "gelöscht" / "wiederhergestellt".
DELETED_AT = "deleted_at"


@dataclass
class Change:
    when: datetime.datetime
    who: str
    created: bool
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # label, before, after
    # A soft delete or a restore, told as such rather than as a date changing.
    deleted: bool = False
    restored: bool = False


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


def _related_names(model, diffs) -> dict:
    """The names of every foreign key value in the diffs: one query per
    foreign key field, however many changes there are."""
    wanted: dict[str, set] = {}
    for diff in diffs:
        for name, values in (diff or {}).items():
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


@dataclass
class _Event:
    when: datetime.datetime
    label: str
    context: dict
    diff: dict | None  # field -> (before, after); None for an object's first event
    snapshot: dict  # the row's columns after the change


def _events(obj: models.Model, limit: int) -> tuple[list[_Event], dict]:
    """The newest ``limit`` events of ``obj``, newest first, each with its
    diff to the event before it; and the names of the users in them.

    One query on the object's own event table, the diffs taken here as
    pghistory's aggregate ``Events`` takes them (row_to_json values, the
    previous event by pgh_id), which it does in SQL through a union of CTEs
    that took a sixth of a customer page (issue 8). Newest first means in
    the order the changes were written (pgh_id), the order the diffs follow;
    two overlapping transactions may have started the other way round."""
    event_model = type(obj)._meta.get_field("events").related_model
    users = get_user_model()._meta
    quote = connection.ops.quote_name
    sql = f"""
        SELECT e.pgh_created_at, e.pgh_label, c.metadata::text, row_to_json(e)::text,
               u.{quote(users.pk.column)}, u.first_name, u.last_name,
               u.{quote(users.get_field("username").column)}
        FROM {quote(event_model._meta.db_table)} e
        LEFT JOIN {quote(Context._meta.db_table)} c ON c.id = e.pgh_context_id
        LEFT JOIN {quote(users.db_table)} u ON u.{quote(users.pk.column)} = CASE
          -- Only whole numbers are ids (a context set by hand may hold text).
          WHEN c.metadata->>'user' ~ '^[0-9]{{1,18}}$' THEN (c.metadata->>'user')::bigint END
        WHERE e.{quote(event_model._meta.get_field("pgh_obj").column)} = %s
        ORDER BY e.pgh_id DESC
        LIMIT %s
    """  # noqa: S608 (names from the models' meta, values as parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, [obj.pk, limit + 1])
        rows = cursor.fetchall()
    # Django has psycopg hand JSON over as text (its JSONField decodes it).
    snapshots = [
        {key: value for key, value in json.loads(row[3]).items() if not key.startswith("pgh_")}
        for row in rows
    ]
    events, names = [], {}
    for index, (when, label, context, _data, user_id, first, last, username) in enumerate(
        rows[:limit]
    ):
        now = snapshots[index]
        before = snapshots[index + 1] if index + 1 < len(rows) else None
        diff = None
        if before is not None:
            diff = {
                key: (before[key], value)
                for key, value in now.items()
                if key in before and before[key] != value
            }
        events.append(_Event(when, label, json.loads(context) if context else {}, diff, now))
        if user_id is not None:
            names[user_id] = f"{first} {last}".strip() or username
    return events, names


def record_history(
    obj: models.Model,
    *,
    limit: int = 100,
    belonging: tuple[str, object] | None = None,
    hide: tuple[str, ...] = (),
) -> list[Change]:
    """The newest ``limit`` changes of ``obj``, newest first. ``belonging``
    (a foreign key's name and value, e.g. ("customer", 7)): only the changes
    made while the record belonged there, without that field — a record
    that moved from one customer to another tells each only their part
    (an access report must not name the other person). ``hide``: fields
    this reader may not see (health data), left out of every change."""
    model = type(obj)
    events, users = _events(obj, limit)
    if belonging is not None:
        field, value = belonging
        column = model._meta.get_field(field).attname
        events = [event for event in events if event.snapshot.get(column) == value]
        for event in events:
            if event.diff and column in event.diff:
                # The change that brought the record here: told as its
                # creation, since its "before" values were someone else's.
                event.diff, event.label = None, "insert"
    related = _related_names(model, [event.diff for event in events])
    changes = []
    for event in events:
        change = Change(
            when=event.when,
            who=who_changed(event.context, users),
            created=event.label == "insert",
        )
        for name, (before, after) in (event.diff or {}).items():
            try:
                model_field = model._meta.get_field(name.removesuffix("_id"))
            except FieldDoesNotExist:
                continue
            if model_field.name in HIDDEN or model_field.name in hide:
                continue
            if model_field.name == DELETED_AT:
                change.deleted, change.restored = before is None, after is None
                continue
            change.fields.append(
                (
                    str(model_field.verbose_name),
                    _display(model_field, before, related),
                    _display(model_field, after, related),
                )
            )
        if change.created or change.fields or change.deleted or change.restored:
            changes.append(change)
    return changes
