from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TodayConfig(AppConfig):
    """The start page "Heute": what the other apps have for the day ahead.
    No models of its own; it reads through their selectors."""

    name = "today"
    verbose_name = _("Today")
