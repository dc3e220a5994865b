"""The group Mitarbeiter (opticrm.lib.roles) of an existing shop gets the
invoices' permissions (invoices, payments) as seed_demo gives them to a new
installation: without them the front desk saw no invoice at pick-up."""

from django.db import migrations

STAFF_GROUP = "Mitarbeiter"
CODENAMES = {
    ("invoice", "view_invoice"): "Can view invoice",
    ("invoice", "add_invoice"): "Can add invoice",
    ("invoice", "change_invoice"): "Can change invoice",
    ("payment", "view_payment"): "Can view payment",
    ("payment", "add_payment"): "Can add payment",
    ("payment", "delete_payment"): "Can delete payment",
}


def grant(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name=STAFF_GROUP).first()
    if group is None:
        return
    # Permissions are made after all migrations (post_migrate): these now,
    # as that would make them.
    content_types = apps.get_model("contenttypes", "ContentType").objects
    permission_model = apps.get_model("auth", "Permission")
    for (model, codename), name in CODENAMES.items():
        content_type, _ = content_types.get_or_create(app_label="invoices", model=model)
        permission, _ = permission_model.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
        group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("invoices", "0008_accounting"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
