from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "api"
    verbose_name = _("API")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from api.services import forget_verified_keys

        # Saved in the admin or by a service: this process looks it up anew.
        post_save.connect(forget_verified_keys, sender=self.get_model("ApiKey"))
        post_delete.connect(forget_verified_keys, sender=self.get_model("ApiKey"))
