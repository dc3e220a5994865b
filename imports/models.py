"""Imports from the shop's previous system (issue 27): the uploaded file,
its mapping, the run's progress and its per-row report."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    REFRACTIONS = "refractions", _("Refractions")
    PRODUCTS = "products", _("Products (a supplier's price list)")
    # Prices of spectacle lenses by power (LensPrice), a lens's rows replaced whole.
    LENS_PRICES = "lens_prices", _("Lens price list (spectacle lens prices by power)")
    APPOINTMENTS = "appointments", _("Appointments (future ones)")


class ImportJob(models.Model):
    class State(models.TextChoices):
        # Uploaded and read: waiting for its columns to be mapped.
        MAPPING = "mapping", _("Columns to assign")
        CHECKING = "checking", _("Test run in progress")
        CHECKED = "checked", _("Test run done")
        IMPORTING = "importing", _("Import in progress")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Stopped")

    class Key(models.TextChoices):
        EXTERNAL_NUMBER = (
            "external_number",
            _("External number (customer number of the old system)"),
        )
        NAME_AND_BIRTH = "name_and_birth", _("Name and date of birth")
        EAN = "ean", _("EAN/GTIN")
        ARTICLE_NUMBER = "article_number", _("Article number")

    class Existing(models.TextChoices):
        UPDATE = "update", _("Update with the file's values")
        SKIP = "skip", _("Leave unchanged (skip)")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.CUSTOMERS)
    filename = models.CharField(_("file name"), max_length=255)
    # The file itself, in the database: the worker that runs the import may
    # be another machine than the one the upload reached. Emptied once the
    # import is done (it holds personal data).
    data = models.BinaryField(_("file"), editable=False)
    file_format = models.CharField(_("format"), max_length=4)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=1, blank=True)
    headers = models.JSONField(_("columns"), default=list)
    samples = models.JSONField(_("sample rows"), default=list)
    row_count = models.PositiveIntegerField(_("rows"))
    # The field each column goes to, in column order ("" = not imported).
    mapping = models.JSONField(_("assignment"), default=list)
    key = models.CharField(_("match by"), max_length=20, choices=Key, default=Key.EXTERNAL_NUMBER)
    existing = models.CharField(
        _("existing records"), max_length=10, choices=Existing, default=Existing.UPDATE
    )
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.MAPPING)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    counts = models.JSONField(_("outcomes"), default=dict)
    failure = models.TextField(_("reason for stopping"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # When the running import last committed a batch: one that has not for
    # long was stopped hard (the worker killed) and may be resumed.
    progress_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    # Which queued run owns the job: resuming hands it to a new one.
    run_token = models.CharField(_("run"), max_length=32, blank=True, editable=False)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="import_newest")]
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_done__lte=models.F("row_count")),
                name="import_rows_done_within_file",
            ),
        ]

    def __str__(self) -> str:
        return self.filename

    def get_encoding_display(self) -> str:
        names = {"utf-8": "UTF-8", "utf-16": "UTF-16", "cp1252": "Windows-1252"}
        return names.get(self.encoding, self.encoding)

    def get_delimiter_display(self) -> str:
        names = {";": _("semicolons"), ",": _("commas"), "\t": _("tabs")}
        return str(names.get(self.delimiter, self.delimiter))

    @property
    def running(self) -> bool:
        return self.state in (self.State.CHECKING, self.State.IMPORTING)


class Outcome(models.TextChoices):
    NEW = "new", _("new")
    UPDATED = "updated", _("updated")
    SKIPPED = "skipped", _("skipped")
    ERROR = "error", _("error")


class ImportRow(models.Model):
    """What the run did with one row of the file (the report)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows")
    # The row's number in the file as a spreadsheet shows it (header = 1).
    row_number = models.PositiveIntegerField(_("row"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome)
    message = models.TextField(_("message"), blank=True)
    object_id = models.BigIntegerField(_("record"), null=True, blank=True)

    class Meta:
        verbose_name = _("import row")
        verbose_name_plural = _("import rows")
        indexes = [
            # A report's pages are paged over ids read from these alone.
            models.Index(fields=["job", "row_number"], include=["id"], name="import_row_number"),
            models.Index(
                fields=["job", "outcome", "row_number"], include=["id"], name="import_row_outcome"
            ),
            # The erasure finds the lines of a customer by it.
            models.Index(
                fields=["object_id"], name="import_row_object", condition=Q(object_id__isnull=False)
            ),
        ]


class ImportMapping(models.Model):
    """A remembered assignment of a known export's columns to fields."""

    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.CUSTOMERS)
    name = models.CharField(_("name"), max_length=100)
    # {column heading: field}
    columns = models.JSONField(_("assignment"), default=dict)
    key = models.CharField(_("match by"), max_length=20, choices=ImportJob.Key)
    existing = models.CharField(_("existing records"), max_length=10, choices=ImportJob.Existing)
    updated_at = models.DateTimeField(_("saved at"), auto_now=True)

    class Meta:
        verbose_name = _("saved assignment")
        verbose_name_plural = _("saved assignments")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="import_mapping_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name
