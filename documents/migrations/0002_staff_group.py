"""The group Mitarbeiter (opticrm.lib.roles) of an existing shop gets the
documents' permissions: seed_demo sets them on new installations."""

from django.db import migrations

STAFF_GROUP = "Mitarbeiter"
CODENAMES = {
    "view_customerdocument": "view",
    "add_customerdocument": "add",
    "delete_customerdocument": "delete",
}


def grant(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name=STAFF_GROUP).first()
    if group is None:
        return
    # Permissions are made after all migrations (post_migrate): these now,
    # as that would make them.
    content_type, _ = apps.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="documents", model="customerdocument"
    )
    permission_model = apps.get_model("auth", "Permission")
    for codename, verb in CODENAMES.items():
        permission, _ = permission_model.objects.get_or_create(
            content_type=content_type,
            codename=codename,
            defaults={"name": f"Can {verb} customer document"},
        )
        group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
