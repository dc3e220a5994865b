"""The period picker of a report: a preset or a free period (German dates),
and how the chart groups it. What does not parse is reported and the
report shows the default period, never an error page."""

import datetime

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from opticrm.lib.dates import is_plausible
from opticrm.lib.forms import DateField
from reports import periods
from reports.stock import DEFAULT_SLOW_MONTHS, SLOW_MONTHS

PERIOD_CHOICES = [
    (periods.TODAY, pgettext_lazy("period", "Today")),
    (periods.THIS_WEEK, pgettext_lazy("period", "This week")),
    (periods.THIS_MONTH, pgettext_lazy("period", "This month")),
    (periods.LAST_QUARTER, pgettext_lazy("period", "Last quarter")),
    (periods.THIS_YEAR, pgettext_lazy("period", "This year")),
    (periods.CUSTOM, pgettext_lazy("period", "Custom")),
]
GROUPING_CHOICES = [
    (periods.DAY, pgettext_lazy("grouping", "Day")),
    (periods.WEEK, pgettext_lazy("grouping", "Week")),
    (periods.MONTH, pgettext_lazy("grouping", "Month")),
    (periods.YEAR, pgettext_lazy("grouping", "Year")),
]
DEFAULT_PRESET = periods.THIS_MONTH
INVALID = {"invalid": gettext_lazy("Please enter a date like 23.11.2026.")}


class PeriodForm(forms.Form):
    period = forms.ChoiceField(label=gettext_lazy("Period"), choices=PERIOD_CHOICES, required=False)
    since = DateField(
        label=gettext_lazy("From"), two_digit_years="near", required=False, error_messages=INVALID
    )
    until = DateField(
        label=gettext_lazy("Until"), two_digit_years="near", required=False, error_messages=INVALID
    )
    group = forms.ChoiceField(
        label=gettext_lazy("Group by"), choices=GROUPING_CHOICES, required=False
    )

    def clean(self):
        cleaned = super().clean()
        preset = cleaned.get("period") or ""
        if not preset and (self.data.get("since") or self.data.get("until")):
            preset = periods.CUSTOM
        cleaned["period"] = preset or DEFAULT_PRESET
        if cleaned["period"] != periods.CUSTOM:
            return cleaned
        since, until = cleaned.get("since"), cleaned.get("until")
        if "since" in self.errors or "until" in self.errors:
            return cleaned
        if since is None or until is None:
            self.add_error(
                "since" if since is None else "until", _("Please enter both dates of the period.")
            )
        elif not (is_plausible(since) and is_plausible(until)):
            self.add_error("since", _("Please enter dates between 1900 and 2199."))
        elif until < since:
            self.add_error("until", _("Please choose an end on or after the start."))
        elif (until - since).days >= periods.MAX_DAYS:
            self.add_error("until", _("Please choose a period of at most ten years."))
        return cleaned

    def chosen(self, today: datetime.date) -> tuple[str, periods.Period, str]:
        """The preset's name, the period and the grouping asked for; the
        default month for what does not parse, each grouping valid."""
        if not self.is_bound or not self.is_valid():
            preset, period = DEFAULT_PRESET, periods.preset(DEFAULT_PRESET, today)
            grouping = periods.DEFAULT_GROUPING[preset]
        else:
            preset = self.cleaned_data["period"]
            if preset == periods.CUSTOM:
                period = periods.Period(self.cleaned_data["since"], self.cleaned_data["until"])
                grouping = periods.default_grouping(period)
            else:
                period = periods.preset(preset, today)
                grouping = periods.DEFAULT_GROUPING[preset]
            grouping = self.cleaned_data.get("group") or grouping
        return preset, period, periods.fitting_grouping(period, grouping)


class SlowMoversForm(forms.Form):
    """The stock report's months without a sale that make a slow mover."""

    months = forms.TypedChoiceField(
        label=gettext_lazy("Months without a sale"),
        choices=[(months, months) for months in SLOW_MONTHS],
        coerce=int,
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Please choose 3, 6, 12 or 24 months.")},
    )

    def chosen(self) -> int:
        """The months asked for; the default for none or what does not parse."""
        if not self.is_bound or not self.is_valid():
            return DEFAULT_SLOW_MONTHS
        return self.cleaned_data.get("months") or DEFAULT_SLOW_MONTHS
