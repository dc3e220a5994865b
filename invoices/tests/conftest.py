import pytest


@pytest.fixture(autouse=True)
def shop(settings):
    """What an invoice names of the shop (UStG § 14 (4))."""
    settings.SHOP_NAME = "Augenoptik Muster"
    settings.SHOP_ADDRESS = "Hauptstraße 1, 80331 München"
    settings.SHOP_TAX_NUMBER = "143/123/45678"
    settings.SHOP_VAT_ID = "DE123456789"
    settings.INVOICE_NUMBER_PREFIX = ""
    return settings


@pytest.fixture
def bank(settings):
    """The shop's bank and payment terms, as the PDF and the e-invoice
    name them."""
    settings.SHOP_BANK_IBAN = "DE89370400440532013000"
    settings.SHOP_BANK_BIC = "COBADEFFXXX"
    settings.SHOP_BANK_NAME = "Commerzbank München"
    settings.INVOICE_PAYMENT_DAYS = 14
