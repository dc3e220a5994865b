"""The rows of the customer table, built in Python: as a template loop a
page of 25 customers took a third of the page's time, which at 16 users at
once on two cores was the difference between 60 and 90 pages a second
(issue 8). The markup is the table's; the header and the empty row stay in
templates/customers/customer_list.html."""

from django import template
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from customers import list_marks
from customers.models import Customer, photo_initials
from opticrm.lib.fast_html import date_formatter, escape, pk_url_builder, table_cell
from opticrm.lib.phone import dial_target, format_phone, stored_number

register = template.Library()

_NONE = '<span class="muted">—</span>'


class _RowContext:
    """What every row of one table shares: labels, formats, URLs, rights."""

    def __init__(self, context):
        perms = context["perms"]
        self.deleted_view = bool(context.get("deleted_view"))
        # The recall filter is on: the date it filters by gets a column.
        self.recall_view = bool(context.get("recall_view"))
        # The photo column, when the user switched it on ("Fotos").
        self.show_photos = bool(context.get("show_photos"))
        self.can_see_appointments = perms["appointments"]["view_appointment"]
        self.can_change = perms["customers"]["change_customer"]
        self.can_delete = perms["customers"]["delete_customer"]
        self.can_purge = perms["customers"]["purge_customer"]
        self.marks: dict[int, list[str]] = {}
        self.labels = {
            name: escape(context[f"{name}_label"])
            for name in ("name", "email", "phone", "birth", "insurance", "exam", "status", "next")
        }
        if self.recall_view:
            self.labels["refraction"] = escape(context["refraction_label"])
        if self.show_photos:
            self.labels["photo"] = escape(context["photo_label"])
        self.edit = escape(gettext("Edit"))
        self.delete = escape(gettext("Delete"))
        self.restore = escape(gettext("Restore"))
        self.purge = escape(gettext("Delete permanently"))
        self.date = date_formatter(get_format("SHORT_DATE_FORMAT"))
        self.moment = date_formatter(get_format("SHORT_DATETIME_FORMAT"))
        self.time = date_formatter(get_format("TIME_FORMAT"))
        self.zone = timezone.get_current_timezone()
        self.statuses = {value: escape(label) for value, label in Customer.Status.choices}
        self.url = {
            name: pk_url_builder(f"customers:{name}")
            for name in ("detail", "update", "delete", "restore", "purge", "photo")
        }
        request = context.get("request")
        self.csrf = escape(get_token(request)) if self.deleted_view and request else ""

    def day(self, value) -> str:
        return self.date(value) if value else ""


def breakable_email(escaped: str) -> str:
    """An (escaped) e-mail address that a narrow column breaks before the @
    and after a dot, not in the middle of a word."""
    return escaped.replace("@", "<wbr>@").replace(".", ".<wbr>")


def _row(page: _RowContext, customer: Customer) -> str:
    labels = page.labels
    pk = int(customer.pk)
    last, first = escape(customer.last_name), escape(customer.first_name)
    if page.deleted_view:
        when = escape(
            gettext("Deleted on %(when)s")
            % {"when": page.moment(timezone.localtime(customer.deleted_at))}
        )
        name = f'<strong>{last}</strong>, {first}\n<div class="muted small">{when}</div>'
    else:
        name = f'<a href="{page.url["detail"](pk)}"><strong>{last}</strong>, {first}</a>'
        name += "".join(
            f' <span class="badge badge-mark">{escape(mark)}</span>'
            for mark in page.marks.get(pk, ())
        )
    email = escape(customer.email or "")
    number = stored_number(customer.phone_stored)
    phone = format_phone(number)
    cells = [
        *([_photo_cell(page, customer, pk)] if page.show_photos else []),
        table_cell(labels["name"], "cell-name", name),
        table_cell(
            labels["email"],
            "cell-wrap",
            f'<a href="mailto:{email}">{breakable_email(email)}</a>' if email else _NONE,
        ),
        table_cell(
            labels["phone"],
            "nowrap",
            f'<a href="tel:{escape(dial_target(number))}">{escape(phone)}</a>' if phone else _NONE,
        ),
        table_cell(labels["birth"], "nowrap", page.day(customer.date_of_birth) or "—"),
        table_cell(
            labels["insurance"],
            "cell-wrap",
            escape(customer.insurance_provider.name) if customer.insurance_provider else "—",
        ),
        table_cell(labels["exam"], "nowrap", page.day(customer.last_exam_date) or "—"),
        *(
            [table_cell(labels["refraction"], "nowrap", page.day(customer.last_refraction_date))]
            if page.recall_view
            else []
        ),
        table_cell(
            labels["status"],
            "",
            f'<span class="badge badge-{escape(customer.status)}">'
            f"{page.statuses.get(customer.status, escape(customer.status))}</span>",
        ),
    ]
    if page.can_see_appointments:
        upcoming = getattr(customer, "next_appointment", None)
        when = "—"
        if upcoming:
            local = timezone.localtime(upcoming, page.zone)
            when = f'{page.day(local)} <span class="time">{page.time(local)}</span>'
        cells.append(table_cell(labels["next"], "cell-when", when))
    cells.append(f'<td class="actions">{_actions(page, pk)}</td>')
    return f'<tr id="customer-{pk}">{"".join(cells)}</tr>'


def _photo_cell(page: _RowContext, customer: Customer, pk: int) -> str:
    """The small photo (the ``photo`` column of the row: no query), lazy,
    of a fixed size; the initials without one."""
    key = customer.photo
    if key:
        version = escape(key.rsplit("/", 1)[-1].split(".", 1)[0][:12])
        content = (
            f'<img class="photo-thumb" src="{page.url["photo"](pk)}?v={version}&amp;size=thumb" '
            f'width="32" height="32" loading="lazy" alt="{page.labels["photo"]}: '
            f'{escape(customer.first_name)} {escape(customer.last_name)}">'
        )
    else:
        initials = escape(photo_initials(customer.first_name, customer.last_name))
        content = f'<span class="photo-thumb photo-thumb-none" aria-hidden="true">{initials}</span>'
    return table_cell(page.labels["photo"], "cell-photo", content)


def _actions(page: _RowContext, pk: int) -> str:
    modal = 'hx-target="#modal-content" data-opens-modal'
    links = []
    if page.deleted_view:
        url = page.url["restore"](pk)
        links.append(
            f'<form method="post" action="{url}" hx-post="{url}" hx-swap="none">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{page.csrf}">'
            f'<button type="submit" class="btn btn-small">{page.restore}</button></form>'
        )
        if page.can_purge:
            url = page.url["purge"](pk)
            links.append(
                f'<a class="btn btn-small btn-danger-outline" href="{url}" hx-get="{url}" '
                f"{modal}>{page.purge}</a>"
            )
        return "".join(links)
    if page.can_change:
        url = page.url["update"](pk)
        links.append(
            f'<a class="btn btn-small" href="{url}" hx-get="{url}" {modal}>{page.edit}</a>'
        )
    if page.can_delete:
        url = page.url["delete"](pk)
        links.append(
            f'<a class="btn btn-small btn-danger-outline" href="{url}" hx-get="{url}" '
            f"{modal}>{page.delete}</a>"
        )
    return "\n".join(links)


@register.simple_tag(takes_context=True)
def customer_rows(context, customers) -> SafeString:
    """One ``<tr>`` per customer of the page, in the table's columns."""
    page = _RowContext(context)
    customers = list(customers)
    if not page.deleted_view:
        page.marks = list_marks.marks_for(
            [customer.pk for customer in customers], context["request"].user
        )
    return mark_safe("\n".join(_row(page, customer) for customer in customers))  # noqa: S308 (every value escaped above)


@register.simple_tag(takes_context=True)
def retention_rows(context, rows) -> SafeString:
    """The retention review's rows (customers/retention_list.html): built
    here for the same reason as customer_rows, fifty rows a page."""
    labels = {
        name: escape(context[f"{name}_label"])
        for name in ("number", "name", "birth", "contact", "since")
    }
    date = date_formatter(get_format("SHORT_DATE_FORMAT"))
    zone = timezone.get_current_timezone()
    detail = pk_url_builder("customers:detail")
    erase, purge = pk_url_builder("customers:erase"), pk_url_builder("customers:purge")
    erase_label, deleted = escape(gettext("Erase data")), escape(gettext("deleted"))
    html = []
    for customer, last_contact in rows:
        pk = customer.pk
        badge = f' <span class="badge" data-deleted>{deleted}</span>' if customer.deleted_at else ""
        name = f'<a href="{detail(pk)}">{escape(customer.full_name)}</a>{badge}'
        url = purge(pk) if customer.deleted_at else erase(pk)
        action = (
            f'<a class="btn btn-small btn-danger-outline" href="{url}" hx-get="{url}" '
            f'hx-target="#modal-content" data-opens-modal data-erase>{erase_label}</a>'
        )
        born = date(customer.date_of_birth) if customer.date_of_birth else "—"
        html.append(
            f'<tr data-customer="{pk}">'
            + table_cell(labels["number"], "num", str(pk))
            + table_cell(labels["name"], "", name)
            + table_cell(labels["birth"], "", born)
            + table_cell(labels["contact"], "", date(last_contact))
            + table_cell(labels["since"], "", date(customer.created_at.astimezone(zone)))
            + f'<td class="actions-col">{action}</td></tr>'
        )
    return mark_safe("".join(html))  # noqa: S308 (every value above is escaped)
