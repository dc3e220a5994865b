import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from opticrm.lib.auth_backend import ModelBackend

pytestmark = pytest.mark.django_db


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def test_permissions_are_djangos_own_and_groups_together(optician):
    optician.user_permissions.add(Permission.objects.get(codename="purge_customer"))
    ours = ModelBackend().get_all_permissions(fresh(optician))
    assert ours == DjangoModelBackend().get_all_permissions(fresh(optician))
    assert {"customers.purge_customer", "prescriptions.view_refraction"} <= ours
    assert "customers.view_customer" in ours  # from the staff group


def test_inactive_anonymous_and_object_permissions_are_none(optician):
    backend = ModelBackend()
    assert backend.get_all_permissions(fresh(optician), obj=object()) == set()
    optician.is_active = False
    optician.save()
    assert backend.get_all_permissions(fresh(optician)) == set()
    assert not fresh(optician).has_perm("customers.view_customer")


def test_a_superuser_has_every_permission(owner):
    assert ModelBackend().get_all_permissions(fresh(owner)) == {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }


def test_a_page_reads_the_permissions_in_one_query(optician_client):
    with CaptureQueriesContext(connection) as queries:
        assert optician_client.get(reverse("customers:list")).status_code == 200
    reads = [q["sql"] for q in queries if '"auth_permission"' in q["sql"]]
    assert len(reads) == 1
    assert "UNION" in reads[0]


def test_the_user_is_read_as_the_orm_reads_it(optician):
    user = ModelBackend().get_user(optician.pk)
    expected = get_user_model().objects.get(pk=optician.pk)
    assert user == expected
    assert {f.attname: getattr(user, f.attname) for f in user._meta.concrete_fields} == {
        f.attname: getattr(expected, f.attname) for f in user._meta.concrete_fields
    }
    assert not user._state.adding
    assert user._state.db == "default"


def test_no_user_for_an_unknown_garbled_or_inactive_id(optician):
    backend = ModelBackend()
    assert backend.get_user(optician.pk + 1000) is None
    assert backend.get_user("not a number") is None
    optician.is_active = False
    optician.save()
    assert backend.get_user(optician.pk) is None
