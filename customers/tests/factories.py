import datetime
import itertools

from customers import services
from customers.models import Customer, InsuranceProvider

_counter = itertools.count(1)


def insurance(name: str = "AOK Bayern") -> InsuranceProvider:
    provider, _ = InsuranceProvider.objects.get_or_create(name=name)
    return provider


def customer(**fields) -> Customer:
    """A valid customer made through the service, as the app makes them
    (tests make look-alikes on purpose: no duplicate question)."""
    number = next(_counter)
    data = {
        "first_name": "Erika",
        "last_name": f"Mustermann{number}",
        "email": "",
        "phone": "",
        "date_of_birth": datetime.date(1980, 5, 17),
        "insurance_provider": None,
        "last_exam_date": None,
        "notes": "",
        "status": Customer.Status.ACTIVE,
    }
    data.update(fields)
    external_number = data.pop("external_number", "")
    return services.customer_create(
        data=data, confirm_duplicates=True, external_number=external_number
    )
