from django.contrib import admin

from reports.models import AppointmentDay, ProductSaleDay, ProductSaleMonth, RevenueDay


@admin.register(RevenueDay)
class RevenueDayAdmin(admin.ModelAdmin):
    """Read only: the database keeps these rows (migration 0001)."""

    list_display = ["day", "category", "staff", "net", "gross", "cost", "positions"]
    list_filter = ["category", "day"]
    search_fields = ["staff__username", "staff__last_name"]
    list_select_related = ["staff"]
    date_hierarchy = "day"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AppointmentDay)
class AppointmentDayAdmin(admin.ModelAdmin):
    """Read only: the database keeps these rows (migration 0004)."""

    list_display = ["day", "type", "staff", "booked", "done", "no_show", "cancelled", "minutes"]
    list_filter = ["type", "day"]
    search_fields = ["staff__username", "staff__last_name"]
    list_select_related = ["type", "staff"]
    date_hierarchy = "day"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ProductSaleDay)
class ProductSaleDayAdmin(_ReadOnly):
    """Read only: the database keeps these rows (migration 0007)."""

    list_display = ["day", "product", "net", "quantity"]
    search_fields = ["product__name", "product__article_number"]
    list_select_related = ["product"]
    raw_id_fields = ["product"]
    date_hierarchy = "day"


@admin.register(ProductSaleMonth)
class ProductSaleMonthAdmin(_ReadOnly):
    """Read only: the database keeps these rows (migration 0007)."""

    list_display = ["month", "product", "net", "quantity"]
    search_fields = ["product__name", "product__article_number"]
    list_select_related = ["product"]
    raw_id_fields = ["product"]
    date_hierarchy = "month"
