from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from customers import services
from customers.models import Customer, InsuranceProvider


@admin.register(InsuranceProvider)
class InsuranceProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name"]


class DeletedFilter(admin.SimpleListFilter):
    title = _("deleted")
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("no", _("Not deleted")), ("yes", _("Deleted"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.alive()
        if self.value() == "yes":
            return queryset.deleted()
        return queryset


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = [
        "last_name",
        "first_name",
        "email",
        "phone",
        "date_of_birth",
        "insurance_provider",
        "last_exam_date",
        "status",
        "deleted_at",
    ]
    list_display_links = ["last_name", "first_name"]
    list_filter = ["status", DeletedFilter, "insurance_provider"]
    list_select_related = ["insurance_provider"]
    search_fields = ["search_text", "email"]
    autocomplete_fields = ["insurance_provider"]
    readonly_fields = ["created_at", "updated_at", "updated_by", "deleted_at", "version"]
    ordering = ["sort_name", "id"]
    actions = ["soft_delete", "restore"]
    fieldsets = [
        (None, {"fields": ["first_name", "last_name", "status"]}),
        (_("Contact"), {"fields": ["email", "phone"]}),
        (
            _("Optician"),
            {"fields": ["date_of_birth", "insurance_provider", "last_exam_date", "prescription"]},
        ),
        (
            _("Record"),
            {"fields": ["created_at", "updated_at", "updated_by", "version", "deleted_at"]},
        ),
    ]

    def get_search_results(self, request, queryset, search_term):
        # The same accent-insensitive search as the customer list.
        from customers.selectors import customer_search

        return customer_search(queryset, search_term), False

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS}
        if change:
            saved = services.customer_update(customer_id=obj.pk, data=data, user=request.user)
        else:
            saved = services.customer_create(data=data, user=request.user)
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        # Deleting for good is the purge permission; everyday deletion is soft.
        return request.user.has_perm("customers.purge_customer")

    @admin.action(
        description=_("Delete selected customers (can be restored)"), permissions=["change"]
    )
    def soft_delete(self, request, queryset):
        count = 0
        for customer in queryset.alive():
            services.customer_soft_delete(customer_id=customer.pk, user=request.user)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d customer deleted.", "%(count)d customers deleted.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Restore selected customers"), permissions=["change"])
    def restore(self, request, queryset):
        count = 0
        for customer in queryset.deleted():
            services.customer_restore(customer_id=customer.pk, user=request.user)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d customer restored.", "%(count)d customers restored.", count)
            % {"count": count},
            messages.SUCCESS,
        )
