"""Django's model backend, with the two reads every page makes in plain SQL.

Every request loads the signed-in user, and every page asks permissions
(the navigation, the row actions, the view's own check), which Django reads
as the user's own and their groups' in a query each. Through the ORM those
three reads cost 4.6 ms of CPU per page on the benchmark machine; as plain
SQL (permissions in one query) 0.6 ms (issue 8). What they return is the
same: the user model's instance, and Django's "app_label.codename" set.
"""

import functools

from django.contrib.auth import backends, get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connections, router


def _table(model) -> str:
    return connections[router.db_for_read(model)].ops.quote_name(model._meta.db_table)


@functools.cache
def _user_sql() -> tuple[str, list[str]]:
    """The user row's query by primary key, and the attributes it fills."""
    model = get_user_model()
    fields = model._meta.concrete_fields
    quote = connections[router.db_for_read(model)].ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    sql = f"SELECT {columns} FROM {_table(model)} WHERE {quote(model._meta.pk.column)} = %s"  # noqa: S608
    return sql, [field.attname for field in fields]


@functools.cache
def _permissions_sql() -> str:
    """Tables and columns named from the models, as Django's own queries do
    (a custom user model's link tables have other column names)."""
    user_model = get_user_model()
    own = user_model._meta.get_field("user_permissions")
    member = user_model._meta.get_field("groups")
    granted = Group._meta.get_field("permissions")
    quote = connections[router.db_for_read(Permission)].ops.quote_name

    def link(field, alias: str) -> tuple[str, str, str]:
        """The link table as ``alias``, and its owner's and target's columns."""
        return (
            f"{quote(field.m2m_db_table())} {alias}",
            f"{alias}.{quote(field.m2m_column_name())}",
            f"{alias}.{quote(field.m2m_reverse_name())}",
        )

    own_table, own_user, own_permission = link(own, "o")
    member_table, member_user, member_group = link(member, "m")
    granted_table, granted_group, granted_permission = link(granted, "g")
    return (
        f"SELECT ct.app_label, p.codename FROM {_table(Permission)} p "  # noqa: S608 (model names)
        f"JOIN {_table(ContentType)} ct ON ct.id = p.content_type_id "
        f"WHERE p.id IN (SELECT {own_permission} FROM {own_table} WHERE {own_user} = %s "
        f"UNION ALL SELECT {granted_permission} FROM {granted_table} "
        f"JOIN {member_table} ON {member_group} = {granted_group} WHERE {member_user} = %s)"
    )


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        model = get_user_model()
        try:
            pk = model._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        sql, attributes = _user_sql()
        database = router.db_for_read(model)
        with connections[database].cursor() as cursor:
            cursor.execute(sql, [pk])
            row = cursor.fetchone()
        if row is None:
            return None
        user = model.from_db(database, attributes, row)
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                rows = Permission.objects.values_list("content_type__app_label", "codename")
            else:
                with connections[router.db_for_read(Permission)].cursor() as cursor:
                    cursor.execute(_permissions_sql(), [user_obj.pk, user_obj.pk])
                    rows = cursor.fetchall()
            user_obj._perm_cache = {f"{app}.{codename}" for app, codename in rows}
        return user_obj._perm_cache
