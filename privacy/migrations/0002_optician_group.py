"""The group Augenoptik (opticrm.lib.roles) of an existing shop gets the
access report's permission too: seed_demo sets it on new installations."""

from django.db import migrations

OPTICIAN_GROUP = "Augenoptik"


def grant(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name=OPTICIAN_GROUP).first()
    if group is None:
        return
    # Permissions are made after all migrations (post_migrate): this one now,
    # as that would make it.
    content_type, _ = apps.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="privacy", model="accessreport"
    )
    permission, _ = apps.get_model("auth", "Permission").objects.get_or_create(
        content_type=content_type,
        codename="add_accessreport",
        defaults={"name": "Can add access report"},
    )
    group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
