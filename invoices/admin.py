from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from invoices import selectors, services
from invoices.models import Invoice, InvoiceDocument, InvoiceLine, Payment, State
from opticrm.lib.admin import VersionedAdminForm
from opticrm.lib.display import money

OUTDATED = _("This invoice has been changed by someone else meanwhile. Please reload it.")


class InvoiceAdminForm(VersionedAdminForm):
    """A save based on an older version is refused (services.invoice_check_version)."""

    check_version = staticmethod(services.invoice_check_version)
    conflict = services.InvoiceConflict
    outdated = OUTDATED

    class Meta:
        model = Invoice
        fields = list(services.DRAFT_FIELDS)

    def clean_company_vat_id(self) -> str:
        # Kept compact, as the service keeps it (which checks it then).
        return services.vat_id_compact(self.cleaned_data.get("company_vat_id", ""))


class InvoiceLineInline(admin.TabularInline):
    """Positions are added and removed through the services (invoice screens)."""

    model = InvoiceLine
    extra = 0
    fields = ["position", *services.LINE_FIELDS]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return State.choices

    def queryset(self, request, queryset):
        if self.value() in State.values:
            return selectors.state_filter(queryset, self.value())
        return queryset


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    """Invoices to look up; a draft's customer, delivery date and business
    recipient may change (services.invoice_update), an issued invoice is
    read only and never deleted (GoBD)."""

    form = InvoiceAdminForm
    list_display = ["__str__", "kind", "shown_customer", "issued_on", "shown_gross", "state"]
    list_filter = [StateFilter, "kind", "issued_on"]
    list_select_related = ["customer", "cancellation"]
    search_fields = ["=number", "customer_name", "customer__last_name", "customer__first_name"]
    raw_id_fields = ["customer"]
    inlines = [InvoiceLineInline]
    show_full_result_count = False
    readonly_fields = [
        "kind",
        "status",
        "number",
        "issued_on",
        "order",
        "cancels",
        "reason",
        "customer_name",
        "customer_address",
        "shop_name",
        "shop_address",
        "shop_tax_number",
        "shop_vat_id",
        "insurer_share",
        "created_by",
    ]

    def get_queryset(self, request):
        return selectors.with_paid(super().get_queryset(request)).prefetch_related("lines")

    def has_add_permission(self, request) -> bool:
        # Made from an order or by the invoice screens, where the rules run.
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_issued:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_issued:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        # The bulk delete would not ask each invoice whether it is issued.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        try:
            services.invoice_update(
                invoice_id=obj.pk,
                data={name: form.cleaned_data[name] for name in services.DRAFT_FIELDS},
                version=form.cleaned_data.get("loaded_version"),
                user=request.user,
            )
        except (services.InvoiceConflict, ValidationError) as error:
            # Changed or issued since the form was loaded: nothing is saved
            # (kept on the request: the admin object serves every request).
            request.invoice_refused = error

    def response_change(self, request, obj):
        error = getattr(request, "invoice_refused", None)
        if error is None:
            return super().response_change(request, obj)
        if isinstance(error, services.InvoiceConflict):
            text = _("Someone else changed this invoice in the meantime; nothing was saved.")
        else:
            text = " ".join(error.messages)
        self.message_user(request, text, level=messages.ERROR)
        return HttpResponseRedirect(request.path)

    def delete_model(self, request, obj):
        services.invoice_draft_delete(invoice_id=obj.pk, user=request.user)

    @admin.display(description=_("customer"))
    def shown_customer(self, obj: Invoice) -> str:
        if obj.customer_name:
            return obj.customer_name
        return str(obj.customer) if obj.customer_id else "—"

    @admin.display(description=_("gross"))
    def shown_gross(self, obj: Invoice) -> str:
        return money(selectors.invoice_totals(obj, obj.lines.all()).gross)

    @admin.display(description=_("state"))
    def state(self, obj: Invoice) -> str:
        return State(selectors.invoice_state(obj, lines=obj.lines.all())).label


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written only by the services (payments) or the issue (documents)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["invoice", "method", "amount", "paid_on", "receipt_number", "created_by"]
    list_filter = ["method", "paid_on"]
    list_select_related = ["invoice", "created_by"]
    search_fields = ["=invoice__number", "receipt_number"]
    raw_id_fields = ["invoice"]


@admin.register(InvoiceDocument)
class InvoiceDocumentAdmin(ReadOnlyAdmin):
    list_display = ["invoice", "sha256", "created_at"]
    list_select_related = ["invoice"]
    search_fields = ["=invoice__number", "=sha256"]
    raw_id_fields = ["invoice"]
    exclude = ["pdf"]

    def get_queryset(self, request):
        # The PDFs stay in the database: the list shows their checksums.
        return super().get_queryset(request).defer("pdf")
