from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.core.checks import Tags, register
from django.db.backends.signals import connection_created


class OpticrmConfig(AppConfig):
    name = "opticrm"
    verbose_name = "OptiCRM"

    def ready(self) -> None:
        from opticrm.checks import guard_connection, pooler_check
        from opticrm.lib.middleware import session_started

        user_logged_in.connect(session_started, dispatch_uid="opticrm_session_started")
        # Database-tagged: runs in migrate and `check --database default` only.
        register(pooler_check, Tags.database)
        # And at run time, on each process's first connection (opticrm.checks).
        connection_created.connect(guard_connection, dispatch_uid="opticrm_pooler_guard")
