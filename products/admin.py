from django.contrib import admin

from opticrm.lib.admin import ReadableHistoryAdmin
from products import services
from products.models import Product, ReorderLine, StockMovement, Supplier


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["name", "customer_number", "email", "phone", "active"]
    list_filter = ["active"]
    search_fields = ["name", "customer_number"]


class StockMovementInline(admin.TabularInline):
    model = StockMovement
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "quantity", "stock_after", "note", "created_by"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]

    def has_add_permission(self, request, obj=None):
        # Movements are booked through the stock screens, which keep the stock in step.
        return False


@admin.register(Product)
class ProductAdmin(ReadableHistoryAdmin):
    list_display = [
        "article_number",
        "name",
        "brand",
        "category",
        "sale_price",
        "stock",
        "minimum_stock",
        "active",
    ]
    list_filter = ["category", "active", "supplier", "vat_rate"]
    list_select_related = ["supplier"]
    search_fields = ["name", "brand", "article_number", "ean"]
    autocomplete_fields = ["supplier"]
    readonly_fields = ["stock", "created_at", "updated_at"]
    inlines = [StockMovementInline]

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS}
        if change:
            saved = services.product_update(product_id=obj.pk, data=data)
        else:
            saved = services.product_create(data=data)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.product_delete(product_id=obj.pk)

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Bulk deletion would bypass "products with movements are only deactivated".
        actions.pop("delete_selected", None)
        return actions


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    list_display = ["created_at", "product", "kind", "quantity", "stock_after", "created_by"]
    list_filter = ["kind"]
    list_select_related = ["product", "created_by"]
    search_fields = ["product__name", "product__article_number", "note"]
    raw_id_fields = ["product"]
    date_hierarchy = "created_at"

    # The ledger is append-only: read here, booked through the stock screens.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReorderLine)
class ReorderLineAdmin(admin.ModelAdmin):
    """Orders with suppliers, for reading: recorded, received and cancelled
    on the reorder list, where receiving books the goods into the ledger."""

    list_display = [
        "ordered_at",
        "product",
        "quantity",
        "received_quantity",
        "status",
        "reference",
        "ordered_by",
    ]
    list_filter = ["status", "product__supplier"]
    list_select_related = ["product", "ordered_by"]
    search_fields = ["product__name", "product__article_number", "reference"]
    raw_id_fields = ["product"]
    date_hierarchy = "ordered_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
