"""The person's data rights (DSGVO): the access report of Art. 15."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from customers.models import Customer
from prescriptions.models import HealthDataAccess
from prescriptions.services import health_data_opened
from privacy.models import AccessReport
from privacy.pdf import access_report_pdf
from privacy.report import access_report, as_json


@transaction.atomic
def access_report_create(*, customer_id: int, file_format: str, user) -> bytes:
    """Everything stored about the customer (deleted or not) as a PDF or a
    JSON file; the making of it is logged (AccessReport)."""
    customer = Customer.objects.get(pk=customer_id)
    report = access_report(customer)
    if file_format == AccessReport.Format.PDF:
        content = access_report_pdf(report)
    else:
        content = json.dumps(
            as_json(report), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2
        ).encode("utf-8")
    AccessReport.objects.create(
        customer_number=customer.pk, file_format=file_format, created_by=user
    )
    health_data_opened(
        user=user, customer_id=customer.pk, where=HealthDataAccess.Where.ACCESS_REPORT
    )
    return content
