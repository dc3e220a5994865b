"""Django's model backend, reading a user's permissions in one query.

Every page asks permissions (the navigation, the row actions, the view's
own check); Django reads the user's own and their groups' permissions in a
query each, once per request. One UNION does both (issue 8).
"""

from django.contrib.auth import backends
from django.contrib.auth.models import Permission

_FIELDS = ("content_type__app_label", "codename")


class ModelBackend(backends.ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                permissions = Permission.objects.values_list(*_FIELDS)
            else:
                own = Permission.objects.filter(user=user_obj).values_list(*_FIELDS)
                of_groups = Permission.objects.filter(group__user=user_obj).values_list(*_FIELDS)
                permissions = own.union(of_groups)
            user_obj._perm_cache = {f"{app}.{codename}" for app, codename in permissions}
        return user_obj._perm_cache
