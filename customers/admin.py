from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from customers import selectors, services
from customers.models import Customer, Erasure, InsuranceProvider, RetentionReview
from opticrm.lib.admin import ReadableHistoryAdmin, ReadOnlyAdmin, VersionedAdminForm
from opticrm.lib.phone import format_phone


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


OUTDATED = _(
    "This customer was changed by someone else in the meantime. Nothing was saved: "
    "please reload the page, which then shows the saved values, and make your change again."
)


class CustomerAdminForm(VersionedAdminForm):
    """A save based on an older version is refused by the customers'
    version rule (services.customer_check_version)."""

    check_version = staticmethod(services.customer_check_version)
    conflict = services.CustomerConflict
    outdated = OUTDATED

    class Meta:
        model = Customer
        fields = "__all__"


@admin.register(Customer)
class CustomerAdmin(ReadableHistoryAdmin):
    form = CustomerAdminForm
    list_display = [
        "last_name",
        "first_name",
        "email",
        "phone_national",
        "date_of_birth",
        "insurance_provider",
        "last_exam_date",
        "postcode",
        "town",
        "status",
        "deleted_at",
    ]
    list_display_links = ["last_name", "first_name"]
    list_filter = ["status", DeletedFilter, "insurance_provider", "country"]
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
            _("Postal address"),
            {"fields": ["salutation", "title", "street", ("postcode", "town"), "country"]},
        ),
        (
            _("Optician"),
            {"fields": ["date_of_birth", "insurance_provider", "last_exam_date", "notes"]},
        ),
        (
            _("Record"),
            {
                "fields": [
                    "created_at",
                    "updated_at",
                    "updated_by",
                    "version",
                    "deleted_at",
                    "loaded_version",
                ]
            },
        ),
    ]

    @admin.display(description=_("phone"), ordering="phone")
    def phone_national(self, customer: Customer) -> str:
        return format_phone(customer.phone)

    def get_search_results(self, request, queryset, search_term):
        # Accent-insensitive like the customer list's, and finding deleted
        # customers too.
        return selectors.customer_text_search(queryset, search_term), False

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Bulk deletion would skip the rule that only deleted customers are purged.
        actions.pop("delete_selected", None)
        return actions

    def has_change_permission(self, request, obj=None):
        # A deleted customer is read-only until restored.
        if obj is not None and obj.is_deleted:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        # Staff in the admin record customers as they are told: a possible
        # duplicate is theirs to judge (the admin has no "save anyway" step).
        data = {name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS}
        if change:
            saved = services.customer_update(
                customer_id=obj.pk,
                data=data,
                user=request.user,
                expected_version=form.cleaned_data["loaded_version"],
                confirm_duplicates=True,
            )
        else:
            saved = services.customer_create(data=data, user=request.user, confirm_duplicates=True)
        obj.pk = saved.pk
        obj.version = saved.version

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.CustomerConflict:
            # Saved by someone else between the form's check and the save:
            # the admin's transaction is rolled back, nothing is saved.
            self.message_user(request, OUTDATED, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def has_delete_permission(self, request, obj=None):
        # Deleting for good needs the purge permission and a customer that was
        # soft-deleted first; everyday deletion is the soft-delete action.
        # The anonymised remains of an erasure stay for the records the law
        # keeps.
        if obj is not None and (not obj.is_deleted or obj.anonymised_at is not None):
            return False
        return request.user.has_perm("customers.purge_customer")

    def has_soft_delete_permission(self, request) -> bool:
        return request.user.has_perm("customers.delete_customer")

    def delete_model(self, request, obj):
        services.customer_purge(customer_id=obj.pk, user=request.user)

    def get_deleted_objects(self, objs, request):
        # The purge deletes the customer's appointments itself, although they
        # protect the customer from an everyday delete: list them as going
        # with the customer, not as blocking the purge. What goes with the
        # customer is erased by the purge permission alone (prescriptions and
        # appointments are never deleted one by one in the admin).
        deleted, counts, _, protected = super().get_deleted_objects(objs, request)
        for rows in services.customer_purged_first(customer_ids=[obj.pk for obj in objs]):
            if rows:
                more, more_counts, _, _ = super().get_deleted_objects(rows, request)
                deleted += more
                counts.update(more_counts)
        if not services.customer_protected_elsewhere():
            protected = []
        return deleted, counts, set(), protected

    @admin.action(
        description=_("Delete selected customers (can be restored)"), permissions=["soft_delete"]
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

    @admin.action(description=_("Restore selected customers"), permissions=["soft_delete"])
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


@admin.register(Erasure)
class ErasureAdmin(ReadOnlyAdmin):
    """The erasure log: read only (who erased which customer number when)."""

    list_display = ["erased_at", "customer_number", "erased_by", "anonymised"]
    search_fields = ["customer_number"]
    list_select_related = ["erased_by"]


@admin.register(RetentionReview)
class RetentionReviewAdmin(ReadOnlyAdmin):
    """The monthly retention reviews: when, for how many years, how many
    customers (the list itself is the page "Aufbewahrungsfrist abgelaufen")."""

    list_display = ["made_at", "years", "contact_before", "customer_count"]
