"""German demo customers for `manage.py seed_demo`: generated from a fixed
seed, so every machine gets the same people and a second run adds nothing."""

import datetime
import random

from customers import services
from customers.models import Customer, InsuranceProvider

FIRST_NAMES = [
    "Anna",
    "Jürgen",
    "Sören",
    "Lena",
    "Maximilian",
    "Sophie",
    "Björn",
    "Jörg",
    "Käthe",
    "Günther",
    "Hannah",
    "Lukas",
    "Marie",
    "Felix",
    "Emma",
    "Paul",
    "Mia",
    "Jonas",
    "Leonie",
    "Elias",
    "Zoë",
    "Ömer",
    "Ayşe",
    "Renée",
    "Hans-Peter",
    "Anne-Marie",
    "Klaus",
    "Ursula",
    "Wolfgang",
    "Brigitte",
    "Dieter",
    "Gisela",
    "Matthias",
    "Sabine",
    "Thorsten",
    "Birgit",
]
LAST_NAMES = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Große",
    "Weiß",
    "Groß",
    "Köhler",
    "Jäger",
    "von der Heide",
    "van Dijk",
    "de Vries",
    "Müller-Lüdenscheidt",
    "Özdemir",
    "Yılmaz",
    "Straßburger",
    "Fuß",
    "Kühn",
    "Böhm",
]
MAIL_DOMAINS = ["web.de", "gmx.de", "t-online.de", "gmail.com", "posteo.de", "outlook.de"]
NOTES = [
    "",
    "",
    "Gleitsichtbrille, verträgt keine harten Nasenpads.",
    "Trägt Monatslinsen, Pflegemittel All-in-one.",
    "Arbeitsplatzbrille für Bildschirmarbeit gewünscht.",
    "Sonnenbrille mit Sehstärke angefragt.",
    "Blendempfindlich, Entspiegelung mit Blaulichtfilter.",
]
# The demo shop is in Munich (opticrm/run.py): most customers live there or
# around it, a few across the border.
FEMALE_NAMES = {
    "Anna", "Lena", "Sophie", "Käthe", "Hannah", "Marie", "Emma", "Mia", "Leonie", "Zoë",
    "Ayşe", "Renée", "Anne-Marie", "Ursula", "Brigitte", "Gisela", "Sabine", "Birgit",
}  # fmt: skip
TOWNS = [
    ("80331", "München"), ("80469", "München"), ("80539", "München"), ("80634", "München"),
    ("80796", "München"), ("81369", "München"), ("81541", "München"), ("81667", "München"),
    ("81925", "München"), ("82008", "Unterhaching"), ("82110", "Germering"),
    ("82131", "Gauting"), ("82319", "Starnberg"), ("85221", "Dachau"), ("85354", "Freising"),
    ("85521", "Ottobrunn"), ("85540", "Haar"), ("85716", "Unterschleißheim"),
    ("85748", "Garching bei München"),
]  # fmt: skip
ABROAD = [("5020", "Salzburg", "AT"), ("6020", "Innsbruck", "AT")]
STREETS = [
    "Leopoldstraße", "Sendlinger Straße", "Schellingstraße", "Rosenheimer Straße",
    "Lindwurmstraße", "Nymphenburger Straße", "Fraunhoferstraße", "Hauptstraße",
    "Bahnhofstraße", "Am Anger", "Gartenstraße", "Lindenweg", "Schulstraße", "Kirchplatz",
    "Birkenweg", "Theresienstraße",
]  # fmt: skip
DEMO_CUSTOMER_COUNT = 80
# Dates are drawn relative to a fixed day, not today, so that a run tomorrow
# generates the same people and finds them already there.
REFERENCE_DAY = datetime.date(2026, 11, 1)


def _ascii(name: str) -> str:
    table = str.maketrans(
        {
            "ä": "ae",
            "ö": "oe",
            "ü": "ue",
            "ß": "ss",
            "ë": "e",
            "é": "e",
            "ş": "s",
            "ı": "i",
            " ": "",
            "-": "",
        }
    )
    return name.lower().translate(table)


def _demo_address(rng: random.Random, first_name: str) -> dict:
    """Salutation, title and postal address of one demo customer (some have none)."""
    address = {"salutation": "", "title": "", "street": "", "postcode": "", "town": ""}
    if rng.random() < 0.95:
        address["salutation"] = "ms" if first_name in FEMALE_NAMES else "mr"
    if rng.random() < 0.08:
        address["title"] = rng.choice(["Dr.", "Dr.", "Prof. Dr."])
    if rng.random() < 0.9:
        number = f"{rng.randint(1, 120)}{rng.choice(['', '', '', '', 'a', 'b'])}"
        address["street"] = f"{rng.choice(STREETS)} {number}"
        if rng.random() < 0.05:
            address["postcode"], address["town"], address["country"] = rng.choice(ABROAD)
        else:
            address["postcode"], address["town"] = rng.choice(TOWNS)
    return address


def demo_customers(today: datetime.date = REFERENCE_DAY) -> list[dict]:
    rng = random.Random(20261124)
    # Addresses from a generator of their own: the people drawn before
    # addresses existed stay the same (a second seed_demo adds nobody).
    address_rng = random.Random(2026112423)
    providers = list(InsuranceProvider.objects.order_by("name"))
    statuses = [Customer.Status.ACTIVE] * 7 + [Customer.Status.INACTIVE, Customer.Status.PROSPECT]
    people = []
    for number in range(DEMO_CUSTOMER_COUNT):
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        birth = today - datetime.timedelta(days=rng.randint(8 * 365, 88 * 365))
        exam = None
        if rng.random() < 0.8:
            exam = today - datetime.timedelta(days=rng.randint(3, 4 * 365))
        phone = ""
        if rng.random() < 0.85:
            prefix = rng.choice(["0151", "0160", "0171", "0176", "030", "089", "040"])
            phone = f"{prefix} {rng.randint(20000000, 99999999)}"
        email = ""
        if rng.random() < 0.75:
            email = f"{_ascii(first)}.{_ascii(last)}{number}@{rng.choice(MAIL_DOMAINS)}"
        people.append(
            {
                "first_name": first,
                "last_name": last,
                "email": email,
                "phone": phone,
                "date_of_birth": birth,
                # One draw whatever the list's length: an insurer added in the
                # admin must not shift everyone after it.
                "insurance_provider": (
                    providers[int(rng.random() * len(providers))] if providers else None
                ),
                "last_exam_date": exam,
                "notes": rng.choice(NOTES),
                "status": rng.choice(statuses),
                **_demo_address(address_rng, first),
            }
        )
    return people


def seed_demo_customers() -> int:
    """Create the demo customers that do not exist yet; return how many were new."""
    existing = set(Customer.objects.values_list("first_name", "last_name", "date_of_birth"))
    created = 0
    for person in demo_customers():
        key = (person["first_name"], person["last_name"], person["date_of_birth"])
        if key in existing:
            continue
        # The demo's own key check (above) stands in for the duplicate question.
        services.customer_create(data=person, confirm_duplicates=True)
        existing.add(key)
        created += 1
    return created
