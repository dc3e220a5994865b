from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from customers.models import Customer
from opticrm.lib import health_data
from privacy import services
from privacy.models import AccessReport

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
