"""The kinds of import and the importer of each (rows → records)."""

from imports.appointments import AppointmentImporter
from imports.customers import CustomerImporter
from imports.lens_prices import LensPriceImporter
from imports.models import Kind
from imports.products import ProductImporter
from imports.refractions import RefractionImporter

IMPORTERS = {
    Kind.CUSTOMERS: CustomerImporter,
    Kind.REFRACTIONS: RefractionImporter,
    Kind.PRODUCTS: ProductImporter,
    Kind.LENS_PRICES: LensPriceImporter,
    Kind.APPOINTMENTS: AppointmentImporter,
}


def importer(kind: str):
    return IMPORTERS[kind]


def may_import(user, kind: str) -> bool:
    """The import right, and the rights to write what this kind makes."""
    return user.has_perm("imports.add_importjob") and user.has_perms(importer(kind).permissions)


def kinds_for(user) -> list[tuple[str, str]]:
    return [(value, label) for value, label in Kind.choices if may_import(user, value)]
