from django.contrib import admin

from opticrm.lib import health_data
from opticrm.lib.admin import ReadOnlyAdmin
from orders.models import HEALTH_FIELDS, FixedAmount, Order, OrderLine
from orders.services import LINE_FIELDS


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    fields = ["position", *LINE_FIELDS]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    """Orders to look up; they are made and moved on in the shop's pages,
    where the rules run (stock, statuses, versions)."""

    list_display = ["id", "customer", "kind", "status", "promised_date", "created_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["customer"]
    search_fields = ["=id", "=customer__id"]
    inlines = [OrderLineInline]
    show_full_result_count = False

    def get_exclude(self, request, obj=None):
        if health_data.may_see_refractions(request.user):
            return []
        return list(HEALTH_FIELDS)


@admin.register(FixedAmount)
class FixedAmountAdmin(admin.ModelAdmin):
    """The insurers' fixed amounts, entered from the published table."""

    list_display = [
        "valid_from",
        "lens_type",
        "power_from",
        "power_to",
        "cylinder_to",
        "amount",
        "aid_number",
    ]
    list_filter = ["lens_type", "valid_from"]
