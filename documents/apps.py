from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = _("Documents")

    def ready(self):
        from customers import erasure, sections
        from documents.selectors import may_see_documents
        from documents.services import documents_forget
        from opticrm.lib import schedule

        def purge() -> str:
            from documents.services import documents_purge

            count = documents_purge()
            return f"{count} deleted document(s) removed for good" if count else ""

        # Deleted documents past DOCUMENTS_DELETED_KEEP_DAYS (docs/rules.md).
        schedule.register(schedule.Job(name="documents purge", run=purge))

        def documents_of(customer, request):
            # No query: the section loads its list from its own URL (htmx),
            # so the customer page costs the same with 0 or 500 documents.
            if not may_see_documents(request.user):
                return None
            return {}

        sections.register(
            sections.Section(
                name="documents",
                template="documents/_customer_documents.html",
                context=documents_of,
                order=28,
            )
        )

        # The erasure deletes the rows (they protect the customer from an
        # everyday delete) and, once committed, their files in the storage.
        erasure.register(
            erasure.Holding(
                model=self.get_model("CustomerDocument"),
                field="customer_id",
                history=self.get_model("CustomerDocumentEvent"),
                purged_first=True,
            )
        )
        erasure.register_scrub(erasure.Scrub(name="document files", run=documents_forget))
