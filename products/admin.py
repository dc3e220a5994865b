from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from opticrm.lib.admin import ReadableHistoryAdmin
from products import services
from products.models import (
    Category,
    Coating,
    LensPrice,
    Product,
    ReorderLine,
    StockMovement,
    Supplier,
)


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


class LensPriceInlineForm(forms.ModelForm):
    class Meta:
        model = LensPrice
        fields = ["sphere_from", "sphere_to", "cylinder_to", "sale_price", "purchase_price"]


class LensPriceFormSet(forms.BaseInlineFormSet):
    """Saves through the services, as every write to products does."""

    def save_new(self, form, commit=True):
        return services.lens_price_create(product_id=self.instance.pk, data=form.cleaned_data)

    def save_existing(self, form, obj, commit=True):
        return services.lens_price_update(lens_price_id=obj.pk, data=form.cleaned_data)

    def delete_existing(self, obj, commit=True):
        if commit:
            services.lens_price_delete(lens_price_id=obj.pk)


class LensPriceInline(admin.TabularInline):
    """The price list of a spectacle lens: the price of one lens by power."""

    model = LensPrice
    form = LensPriceInlineForm
    formset = LensPriceFormSet
    extra = 1
    fields = ["sphere_from", "sphere_to", "cylinder_to", "sale_price", "purchase_price"]
    ordering = ["sphere_from", "sphere_to", "cylinder_to", "id"]


OUTDATED = _(
    "This product was changed by someone else in the meantime, so nothing was saved. "
    "Please open it again and repeat your changes."
)


class ProductAdminForm(forms.ModelForm):
    """The admin's product form posts the version it was loaded with, as the
    product screens do, so services.product_update refuses a save on top of
    a colleague's."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    coatings = forms.TypedMultipleChoiceField(
        label=capfirst(Product._meta.get_field("coatings").verbose_name),
        choices=Coating.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    # Set by ProductAdmin after the service refused the save as outdated.
    conflict = False

    class Meta:
        model = Product
        # The model's column is not edited; the field above carries it.
        exclude = ["version"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version
        if "spectacle_design" in self.fields:
            # "Lens design" is the contact lens's word; a spectacle lens has a type.
            self.fields["spectacle_design"].label = _("Lens type")

    def clean(self):
        cleaned = super().clean()
        if self.conflict:
            raise ValidationError(OUTDATED, code="conflict")
        if self.instance.pk and cleaned.get("version") is None:
            raise ValidationError(
                _("This form is outdated. Please close it and open the product again."),
                code="no_version",
            )
        return cleaned


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
    form = ProductAdminForm
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "version",
                    "category",
                    "article_number",
                    "ean",
                    "name",
                    "brand",
                    "model",
                    "colour",
                    "supplier",
                    "active",
                ]
            },
        ),
        (_("Frame size"), {"fields": ["lens_width", "bridge_width", "temple_length"]}),
        (
            _("Contact lens"),
            {
                "fields": [
                    "lens_design",
                    "base_curves",
                    "diameters",
                    "sphere_min",
                    "sphere_max",
                    "cylinders",
                    "axis_step",
                ]
            },
        ),
        (
            _("Spectacle lens"),
            {
                "fields": ["spectacle_design", "lens_index", "coatings", "tint"],
                "description": _(
                    "Manufacturer and product line are brand and model; the prices by "
                    "power are below, once the lens is saved."
                ),
            },
        ),
        (
            _("Prices and stock"),
            {
                "fields": [
                    "purchase_price",
                    "sale_price",
                    "vat_rate",
                    "minimum_stock",
                    "stock",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
    ]

    def get_inlines(self, request, obj):
        # The price list by power belongs to spectacle lenses only.
        if obj is not None and obj.category == Category.SPECTACLE_LENS:
            return [LensPriceInline, *self.inlines]
        return self.inlines

    delete_confirmation_template = "products/admin_delete_confirmation.html"

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if getattr(request, "product_conflict", False):
            form = type(form.__name__, (form,), {"conflict": True})
        return form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.ProductConflict:
            # The save was refused and rolled back: the form again as typed,
            # with the reason at the top.
            request.product_conflict = True
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS}
        if change:
            saved = services.product_update(
                product_id=obj.pk, data=data, expected_version=form.cleaned_data["version"]
            )
        else:
            saved = services.product_create(data=data)
        obj.pk = saved.pk

    # Deleting follows the product pages: a product that records refer to is
    # only deactivated (services.product_is_kept), which is a change.
    def has_delete_permission(self, request, obj=None):
        if obj is not None and services.product_is_kept(product_id=obj.pk):
            return self.has_change_permission(request, obj)
        return super().has_delete_permission(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        kept = object_id.isdigit() and services.product_is_kept(product_id=int(object_id))
        return super().delete_view(request, object_id, {**(extra_context or {}), "kept": kept})

    def get_deleted_objects(self, objs, request):
        if any(services.product_is_kept(product_id=obj.pk) for obj in objs):
            # Deactivated, not deleted: nothing goes with it, nothing protects it.
            return [], {}, set(), []
        return super().get_deleted_objects(objs, request)

    def log_deletions(self, request, queryset):
        for product in queryset:
            if services.product_is_kept(product_id=product.pk):
                active = str(Product._meta.get_field("active").verbose_name)
                self.log_change(request, product, [{"changed": {"fields": [active]}}])
            else:
                super().log_deletions(request, [product])

    def delete_model(self, request, obj):
        services.product_delete(product_id=obj.pk)

    def response_delete(self, request, obj_display, obj_id):
        if not Product.objects.filter(pk=obj_id).exists():
            return super().response_delete(request, obj_display, obj_id)
        self.message_user(
            request,
            gettext(
                "Product %(name)s deactivated. Stock movements, orders or fittings "
                "refer to it, so it is kept; edit it to sell it again."
            )
            % {"name": obj_display},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:products_product_changelist"))

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Bulk deletion would bypass "products with movements are only deactivated".
        actions.pop("delete_selected", None)
        return actions


@admin.register(LensPrice)
class LensPriceAdmin(admin.ModelAdmin):
    """The price lists of all spectacle lenses at a glance; each lens's own
    list is edited on the lens (LensPriceInline)."""

    list_display = ["product", "sphere_from", "sphere_to", "cylinder_to", "sale_price"]
    list_filter = ["product__brand"]
    list_select_related = ["product"]
    search_fields = ["product__name", "product__brand", "product__model", "product__article_number"]
    raw_id_fields = ["product"]
    fields = ["product", "sphere_from", "sphere_to", "cylinder_to", "sale_price", "purchase_price"]

    def get_readonly_fields(self, request, obj=None):
        # A row stays with its lens: another lens gets a row of its own.
        return ["product"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in services.LENS_PRICE_FIELDS}
        if change:
            saved = services.lens_price_update(lens_price_id=obj.pk, data=data)
        else:
            saved = services.lens_price_create(product_id=obj.product_id, data=data)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.lens_price_delete(lens_price_id=obj.pk)

    def delete_queryset(self, request, queryset):
        for row in queryset:
            services.lens_price_delete(lens_price_id=row.pk)


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
