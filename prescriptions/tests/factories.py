import datetime
from decimal import Decimal

from prescriptions import services
from prescriptions.models import ContactLensFitting, Refraction


def refraction_data(examiner, **values) -> dict:
    """A plausible subjective refraction of both eyes; ``values`` override."""
    data = {
        "kind": Refraction.Kind.SUBJECTIVE,
        "date": datetime.date(2026, 3, 12),
        "examiner": examiner,
        "right_sphere": Decimal("1.25"),
        "right_cylinder": Decimal("-0.50"),
        "right_axis": 90,
        "right_pd": Decimal("31.5"),
        "left_sphere": Decimal("1.00"),
        "left_pd": Decimal("32"),
    }
    data.update(values)
    return data


def refraction(customer, examiner, **values) -> Refraction:
    return services.refraction_record(
        customer_id=customer.pk, data=refraction_data(examiner, **values), user=examiner
    )


def fitting(customer, examiner, **values) -> ContactLensFitting:
    data = {
        "date": datetime.date(2026, 4, 2),
        "examiner": examiner,
        "right_base_curve": Decimal("8.6"),
        "right_diameter": Decimal("14.2"),
        "right_sphere": Decimal("-2.25"),
        "right_replacement": "monthly",
        "left_base_curve": Decimal("8.6"),
        "left_diameter": Decimal("14.2"),
        "left_sphere": Decimal("-2.5"),
        "left_replacement": "monthly",
    }
    data.update(values)
    return services.fitting_record(customer_id=customer.pk, data=data, user=examiner)
