"""The recall list's filter: the same form reads the list's GET filters and
the filters posted with a batch action (send, letters), so an action acts
on exactly the list the user saw."""

import datetime

from django import forms
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from messaging.recall import AgeGroup, Reach, RecallQuery, Rule, months_offered

# The due month as the URL carries it: "2026-07".
MONTH_FORMAT = "%Y-%m"


def _month_value(month: datetime.date) -> str:
    return month.strftime(MONTH_FORMAT)


def _month_name(month: datetime.date) -> str:
    """ "Juli 2026" in the active language."""
    return formats.date_format(month, "F Y")


class RecallFilterForm(forms.Form):
    """Rule, due month, reachability, age group; every field may be left
    out (the defaults: eye test, due by the end of this month, all)."""

    rule = forms.ChoiceField(label=_("Rule"), choices=Rule.CHOICES, required=False)
    month = forms.ChoiceField(label=_("Due"), required=False)
    reach = forms.ChoiceField(
        label=_("Reachable"), choices=[("", _("all")), *Reach.CHOICES], required=False
    )
    age_group = forms.ChoiceField(
        label=_("Age group"), choices=[("", _("all")), *AgeGroup.CHOICES], required=False
    )

    def __init__(self, data=None, *, today: datetime.date, **kwargs):
        kwargs.setdefault("auto_id", "filter_%s")
        super().__init__(data, **kwargs)
        self.today = today
        self.months = {_month_value(month): month for month in months_offered(today)}
        self.fields["month"].choices = [
            ("", gettext("until the end of %(month)s") % {"month": _month_name(today)}),
            *(
                (value, gettext("in %(month)s") % {"month": _month_name(month)})
                for value, month in self.months.items()
            ),
        ]

    def clean_rule(self) -> str:
        return self.cleaned_data["rule"] or Rule.EYE_TEST

    def clean_month(self) -> datetime.date | None:
        value = self.cleaned_data["month"]
        return self.months[value] if value else None

    def query(self) -> RecallQuery:
        """The list's query; the form must be valid."""
        data = self.cleaned_data
        return RecallQuery(
            today=self.today,
            rule=data["rule"],
            month=data["month"],
            reach=data["reach"],
            age_group=data["age_group"],
        )

    def hidden_values(self) -> list[tuple[str, str]]:
        """The filters as (name, value) pairs, for the hidden fields of a
        batch action's form and for links back to the list."""
        return [(name, str(self.data.get(name, ""))) for name in self.fields]
