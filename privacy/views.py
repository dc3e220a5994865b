from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from customers.models import Customer
from privacy import services
from privacy.models import AccessReport

CONTENT_TYPES = {
    AccessReport.Format.PDF: "application/pdf",
    AccessReport.Format.JSON: "application/json; charset=utf-8",
}


@permission_required("privacy.add_accessreport", raise_exception=True)
@require_POST
def access_report(request: HttpRequest, pk: int, file_format: str) -> HttpResponse:
    """The customer's access report (DSGVO Art. 15) as a download; POST,
    since each one is logged."""
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
