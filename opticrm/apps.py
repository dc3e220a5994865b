from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in


class OpticrmConfig(AppConfig):
    name = "opticrm"
    verbose_name = "OptiCRM"

    def ready(self) -> None:
        from opticrm.lib.middleware import session_started

        user_logged_in.connect(session_started, dispatch_uid="opticrm_session_started")
