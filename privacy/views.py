import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers.models import Customer
from opticrm.lib import health_data
from opticrm.lib.htmx import render_page_or_partial
from privacy import selectors, services
from privacy.models import AccessReport, DataExport

logger = logging.getLogger(__name__)
# "Alle Daten exportieren": the owner's (superusers'); no group has it.
EXPORT_ALL = "privacy.add_dataexport"

CONTENT_TYPES = {
    AccessReport.Format.PDF: "application/pdf",
    AccessReport.Format.JSON: "application/json; charset=utf-8",
}


def may_make_report(user) -> bool:
    """The report holds every measurement value: its permission and the
    health-data rights both (the permission alone could be given to the
    front desk in the admin without a thought for what it shows)."""
    return (
        user.has_perm("privacy.add_accessreport")
        and health_data.may_see_refractions(user)
        and health_data.may_see_fittings(user)
    )


@login_required
@require_POST
def access_report(request: HttpRequest, pk: int, file_format: str) -> HttpResponse:
    """The customer's access report (DSGVO Art. 15) as a download; POST,
    since each one is logged."""
    if not may_make_report(request.user):
        raise PermissionDenied
    if file_format not in AccessReport.Format.values:
        raise Http404
    if not Customer.objects.filter(pk=pk).exists():
        raise Http404
    content = services.access_report_create(
        customer_id=pk, file_format=file_format, user=request.user
    )
    response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
    name = pgettext("file name", "access-report")
    filename = f"{name}-{pk}-{timezone.localdate():%Y-%m-%d}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _data_export_context(request: HttpRequest) -> dict:
    now = timezone.now()
    exports = list(selectors.recent_data_exports(request.user))
    for export in exports:
        export.can_download = export.downloadable(now)
        if export.state == DataExport.State.READY and not export.can_download:
            # Shown as what it is once the link has expired, before
            # data_exports_expire has deleted the file.
            export.state = DataExport.State.EXPIRED
    return {
        "exports": exports,
        "active": selectors.active_data_export(),
        "valid_hours": settings.DATA_EXPORT_VALID_HOURS,
    }


@permission_required(EXPORT_ALL, raise_exception=True)
@require_http_methods(["GET", "POST"])
def data_export(request: HttpRequest) -> HttpResponse:
    """The page "Alle Daten exportieren": what the ZIP holds, the button
    that starts it, and the user's recent exports; while one is being made,
    the list asks for itself again every two seconds (htmx) until it is
    ready."""
    if request.method == "POST":
        try:
            services.data_export_request(user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _(
                    "The export has been started. It is made in the background; "
                    "this page shows when it is ready to download."
                ),
            )
        return redirect("privacy:data_export")
    return render_page_or_partial(
        request, "privacy/data_export.html", "exports", _data_export_context(request)
    )


@permission_required(EXPORT_ALL, raise_exception=True)
@require_GET
def data_export_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The ZIP, for who asked for it and only until its link expires."""
    try:
        export = selectors.data_export_of(request.user, pk)
    except DataExport.DoesNotExist:
        raise Http404 from None
    if not export.downloadable():
        messages.error(
            request,
            _(
                "This download is no longer available (expired or not ready). "
                "Please start a new export."
            ),
        )
        return redirect("privacy:data_export")
    try:
        content = default_storage.open(export.storage_name, "rb")
    except FileNotFoundError:
        logger.error("The file of data export %s is missing", export.pk)
        messages.error(request, _("The file of this export is missing. Please start a new export."))
        return redirect("privacy:data_export")
    response = FileResponse(
        content, as_attachment=True, filename=export.filename, content_type="application/zip"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
