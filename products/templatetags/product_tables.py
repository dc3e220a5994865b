"""The rows of the product table, built in Python for the same reason as
the customer table's (customers/templatetags/customer_tables.py, issue 8).
The header and the empty row stay in templates/products/product_list.html."""

from django import template
from django.template.defaultfilters import floatformat
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from opticrm.lib.fast_html import escape, pk_url_builder, table_cell
from products.models import Category

register = template.Library()


def _stock(product) -> str:
    stock = localize(product.stock)
    if product.active and product.below_minimum:
        below = escape(gettext("Below minimum stock"))
        minimum = escape(gettext("min. %(minimum)s") % {"minimum": localize(product.minimum_stock)})
        return (
            f'<span class="stock stock-low" title="{below}">{stock}</span>\n'
            f'<span class="stock-minimum">{minimum}</span>'
        )
    return f'<span class="stock">{stock}</span>'


@register.simple_tag(takes_context=True)
def product_rows(context, products) -> SafeString:
    """One ``<tr>`` per product of the page, in the table's columns."""
    labels = {
        name: escape(context[f"{name}_label"])
        for name in ("article", "name", "brand", "category", "price", "stock", "status")
    }
    active = f'<span class="badge badge-active">{escape(context["active_label"])}</span>'
    inactive = f'<span class="badge badge-inactive">{escape(context["inactive_label"])}</span>'
    edit = escape(context["edit_label"])
    can_change = context["perms"]["products"]["change_product"]
    detail_url, edit_url = pk_url_builder("products:detail"), pk_url_builder("products:update")
    # Translated once, not once per row (a lazy translation each time).
    categories = {value: escape(label) for value, label in Category.choices}
    rows = []
    for product in products:
        pk = int(product.pk)
        details = " · ".join(escape(part) for part in (product.colour, product.frame_size) if part)
        name = f'<a href="{detail_url(pk)}"><strong>{escape(product.name)}</strong></a>'
        if details:
            name += f'\n<div class="muted small">{details}</div>'
        actions = ""
        if can_change:
            url = edit_url(pk)
            actions = (
                f'<a class="btn btn-small" href="{url}" hx-get="{url}" '
                f'hx-target="#modal-content" data-opens-modal>{edit}</a>'
            )
        cells = [
            table_cell(labels["article"], "cell-code", escape(product.article_number)),
            table_cell(labels["name"], "cell-name", name),
            table_cell(labels["brand"], "cell-wrap", escape(product.brand) or "—"),
            table_cell(
                labels["category"],
                "nowrap",
                categories.get(product.category) or escape(product.category),
            ),
            table_cell(
                labels["price"], "cell-money", f"{floatformat(product.sale_price, '2g')}&nbsp;€"
            ),
            table_cell(labels["stock"], "cell-stock", f"<span>{_stock(product)}</span>"),
            table_cell(labels["status"], "", active if product.active else inactive),
            f'<td class="actions">{actions}</td>',
        ]
        rows.append(f'<tr id="product-{pk}">{"".join(cells)}</tr>')
    return mark_safe("\n".join(rows))  # noqa: S308 (every value escaped above)
