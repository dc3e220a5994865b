import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from imports import files, selectors, services
from imports.forms import MappingForm, UploadForm
from imports.kinds import importer, kinds_for, may_import
from imports.models import ImportJob, ImportRow, Outcome
from opticrm.lib import pagination
from opticrm.lib.export import Column, export_response, export_urls
from opticrm.lib.htmx import render_page_or_partial

logger = logging.getLogger(__name__)
IMPORT = "imports.add_importjob"
REPORT_PAGE_SIZE = 50


@permission_required(IMPORT, raise_exception=True)
def import_list(request: HttpRequest) -> HttpResponse:
    """The imports page: upload a file, and the recent imports."""
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        kind = form.cleaned_data["kind"]
        try:
            if upload.size > settings.IMPORT_MAX_BYTES:
                raise files.too_large(upload.size)
            job = services.job_create(
                data=upload.read(), filename=upload.name, kind=kind, user=request.user
            )
        except files.FileProblem as problem:
            form.add_error("file", problem.message)
        except DatabaseError:
            logger.exception("Storing an import file failed")
            form.add_error("file", _("Error while saving; please try again."))
        else:
            return redirect("imports:job", job.pk)
    context = {
        "form": form,
        "jobs": selectors.recent_jobs([kind for kind, _label in kinds_for(request.user)]),
        "max_size": settings.IMPORT_MAX_BYTES,
    }
    return render(request, "imports/import_list.html", context, status=400 if form.errors else 200)


def _job(request: HttpRequest, pk: int) -> ImportJob:
    """The import, for who may import its kind (refractions: health data)."""
    try:
        job = selectors.job(pk)
    except ImportJob.DoesNotExist:
        raise Http404 from None
    if not may_import(request.user, job.kind):
        raise PermissionDenied
    return job


def _mapping_form(request: HttpRequest, job: ImportJob, data=None) -> MappingForm:
    mapping, key, existing = job.mapping, job.key, job.existing
    saved = None
    chosen = request.GET.get("mapping", "")
    if chosen.isascii() and chosen.isdigit():
        saved = selectors.saved_mappings(job.kind).filter(pk=chosen).first()
    elif job.state == ImportJob.State.MAPPING and job.started_at is None:
        # Before the first test run only: "Zuordnung ändern" keeps the tested one.
        saved = selectors.fitting_mapping(job)
    if saved is not None:
        mapping, key, existing = services.mapping_for(job, saved), saved.key, saved.existing
    initial = {f"column_{index}": name for index, name in enumerate(mapping)}
    initial.update(key=key, existing=existing, save_as=saved.name if saved else "")
    form = MappingForm(data, job=job, initial=initial)
    form.saved = saved
    return form


def _context(request: HttpRequest, job: ImportJob, form: MappingForm | None = None) -> dict:
    kind_importer = importer(job.kind)
    context = {
        "job": job,
        "State": ImportJob.State,
        "record_label": kind_importer.record_label,
        "record_url": kind_importer.record_url,
        "percent": selectors.percent(job),
        "remaining_minutes": _minutes(selectors.remaining_time(job)),
        "stalled": selectors.stalled(job),
        "outcomes": [(value, label, job.counts.get(value, 0)) for value, label in Outcome.choices],
    }
    if job.state == ImportJob.State.MAPPING:
        context["form"] = form or _mapping_form(request, job)
        context["saved_mappings"] = selectors.saved_mappings(job.kind)
    if job.state in (ImportJob.State.CHECKED, ImportJob.State.DONE, ImportJob.State.FAILED):
        outcome = request.GET.get("outcome", "")
        if outcome not in Outcome.values:
            outcome = ""
        rows = selectors.report_rows(job.pk, outcome)
        # Ids first, from the covering index; then the page's rows by id.
        paginator = pagination.KnownCountPaginator(
            rows.values_list("pk", flat=True),
            REPORT_PAGE_SIZE,
            count=job.counts.get(outcome, 0) if outcome else sum(job.counts.values()),
        )
        page = paginator.get_page(request.GET.get("page"))
        page.object_list = pagination.page_rows(page, rows)
        context.update(
            outcome=outcome,
            page=page,
            export=export_urls("imports:report", job.pk),
            # The record links' common start ("/customers/"), not one
            # reverse() per row.
            record_base=reverse(kind_importer.record_url, args=[0]).removesuffix("0/"),
        )
    return context


def _minutes(remaining) -> int | None:
    if remaining is None:
        return None
    return round(remaining.total_seconds() / 60)


@permission_required(IMPORT, raise_exception=True)
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One import: its assignment, its test run, its progress, its report.
    While it runs the status part asks for itself again every second; once
    the run is over, the whole page is loaded afresh (its steps change)."""
    job = _job(request, pk)
    if request.htmx and "poll" in request.GET and not job.running:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render_page_or_partial(
        request, "imports/job_detail.html", "status", _context(request, job)
    )


def _gone(request: HttpRequest) -> HttpResponse:
    """Discarded meanwhile (a second click, a colleague)."""
    messages.error(request, _("This import has been discarded."))
    return redirect("imports:list")


@permission_required(IMPORT, raise_exception=True)
@require_POST
def job_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the assignment and start the test run."""
    job = _job(request, pk)
    if job.state != ImportJob.State.MAPPING:
        messages.error(request, _("This import has already run; please upload the file again."))
        return redirect("imports:job", job.pk)
    form = _mapping_form(request, job, request.POST)
    if form.is_valid():
        try:
            services.job_check(
                job_id=job.pk,
                mapping=form.mapping(),
                key=form.cleaned_data["key"],
                existing=form.existing_choice(),
                save_as=form.cleaned_data["save_as"],
            )
        except ImportJob.DoesNotExist:
            return _gone(request)
        except ValidationError as error:
            form.add_error(None, error)
        except DatabaseError:
            logger.exception("Starting the test run of import %s failed", job.pk)
            form.add_error(None, _("Error while saving; please try again."))
        else:
            return redirect("imports:job", job.pk)
    response = render(request, "imports/job_detail.html", _context(request, job, form))
    response.status_code = 400
    return response


@permission_required(IMPORT, raise_exception=True)
@require_POST
def job_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """ "Import starten", "Zuordnung ändern" and "Verwerfen"."""
    job = _job(request, pk)
    try:
        if action == "start":
            services.job_start(job_id=job.pk, dry_run=False)
        elif action == "resume":
            services.job_resume(job_id=job.pk)
        elif action == "remap":
            services.job_remap(job_id=job.pk)
        elif action == "discard":
            services.job_delete(job_id=job.pk)
            messages.success(request, _("The import was discarded."))
            return redirect("imports:list")
        else:
            raise Http404
    except ImportJob.DoesNotExist:
        return _gone(request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except DatabaseError:
        logger.exception("Import %s: %s failed", job.pk, action)
        messages.error(request, _("Error while saving; please try again."))
    return redirect("imports:job", job.pk)


def report_columns(job: ImportJob) -> list[Column]:
    outcomes = dict(Outcome.choices)
    return [
        Column(_("Row"), lambda row: row.row_number),
        Column(_("Outcome"), lambda row: str(outcomes.get(row.outcome, row.outcome))),
        Column(_("Message"), lambda row: row.message),
        Column(str(importer(job.kind).record_label), lambda row: row.object_id),
    ]


@permission_required(IMPORT, raise_exception=True)
def job_report(request: HttpRequest, pk: int, file_format: str) -> HttpResponse:
    """The run's report as CSV or XLSX, a row per row of the file."""
    job = _job(request, pk)
    return export_response(
        request,
        file_format,
        name=pgettext("file name", "import-report"),
        title=_("Import report"),
        columns=report_columns(job),
        queryset=ImportRow.objects.filter(job_id=job.pk),
        list_url=reverse("imports:job", args=[job.pk]),
    )
