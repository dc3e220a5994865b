"""A realistic German optician's assortment for `manage.py seed_demo`: fixed
data, keyed by article number, so a second run adds nothing."""

from decimal import Decimal

from products import gtin, services
from products.models import Category, LensPrice, Product, StockMovement, Supplier

Kind = StockMovement.Kind

# code: (name, our customer number, email, phone)
SUPPLIERS = {
    "EL": ("EssilorLuxottica Deutschland", "KD-204518", "bestellung@essilorluxottica.example", ""),
    "RS": ("Rodenstock", "RS-88213", "auftrag@rodenstock.example", "089 7202-0"),
    "ZV": ("Carl Zeiss Vision", "ZV-31177", "order@zeiss-vision.example", "07361 591-0"),
    "LB": ("Lindberg Deutschland", "LB-0815", "", "040 3290-480"),
    "SI": ("Silhouette Deutschland", "SI-44120", "service@silhouette.example", ""),
    "EO": ("Eschenbach Optik", "EO-77031", "bestellung@eschenbach.example", "0911 3600-0"),
    "AL": ("Alcon Deutschland", "AL-660231", "kontaktlinsen@alcon.example", ""),
    "JJ": ("Johnson & Johnson Vision", "JJ-120877", "", "0800 5332-883"),
    "CV": ("CooperVision", "CV-55019", "order@coopervision.example", ""),
    "BL": ("Bausch + Lomb", "BL-30442", "", "030 33093-0"),
    "ZS": ("Optik-Zubehör Schmitt KG", "", "info@zubehoer-schmitt.example", "0221 987654"),
    "HY": ("Hoya Lens Deutschland", "HY-51230", "auftrag@hoya.example", "0611 7866-0"),
}

# One product a line: article number|name|brand|model|colour|frame size
# (lens-bridge-temple)|supplier|purchase price|sale price|minimum stock|received|sold.
# The category comes from the article number's prefix.
CATEGORIES = {
    "F": Category.FRAME,
    "G": Category.SPECTACLE_LENS,
    "KL": Category.CONTACT_LENS,
    "P": Category.CARE,
    "S": Category.SUNGLASSES,
    "Z": Category.ACCESSORY,
}
ASSORTMENT = """
F-1001|Ray-Ban Clubmaster Optics|Ray-Ban|RX5154|Schwarz/Gold|51-21-145|EL|62|159|1|3|1
F-1002|Ray-Ban RX5228|Ray-Ban|RX5228|Havanna|53-17-140|EL|55|139|2|4|1
F-1003|Ray-Ban RX7047|Ray-Ban|RX7047|Mattschwarz|54-17-145|EL|52|129|2|2|1
F-1004|Lindberg Air Titanium Rim|Lindberg|Morten|Gunmetal|50-19-140|LB|215|549|1|1|0
F-1005|Lindberg Strip Titanium|Lindberg|9704|Silber|52-18-140|LB|190|489|1|2|0
F-1006|Silhouette Momentum|Silhouette|5529|Titan matt|53-17-140|SI|128|329|1|2|0
F-1007|Silhouette SPX Illusion|Silhouette|2925|Bordeaux|52-18-135|SI|105|279|1|1|1
F-1008|Marc O'Polo 503170|Marc O'Polo|503170|Blau transparent|52-18-140|EO|49|149|2|3|0
F-1009|Marc O'Polo 502170|Marc O'Polo|502170|Schildpatt|54-17-140|EO|52|159|2|2|1
F-1010|Tom Tailor 60618|Tom Tailor|60618|Schwarz|50-19-135|EO|27|89|2|4|1
F-1011|Tom Tailor Kids 60626|Tom Tailor|60626|Rot|46-16-125|EO|22|69|2|1|0
F-1012|Rodenstock R7089|Rodenstock|R7089|Dunkelgrau|53-17-140|RS|76|199|1|2|0
F-1013|Rodenstock R2648 Titan|Rodenstock|R2648|Gold|51-18-145|RS|88|229|1|1|0
G-2001|Zeiss ClearView 1.5 DuraVision Platinum|Zeiss|ClearView|||ZV|39|129|4|10|7
G-2002|Zeiss SmartLife Progressive Plus 1.6|Zeiss|SmartLife|||ZV|165|489|0|0|0
G-2003|Rodenstock Impression FreeSign 3 1.6|Rodenstock|FreeSign 3|||RS|190|549|0|0|0
G-2004|Rodenstock Multigressiv MyView 2 1.5|Rodenstock|MyView 2|||RS|135|399|0|0|0
G-2005|Essilor Varilux X series 1.6 Crizal|Essilor|Varilux X|||EL|180|529|0|0|0
G-2006|Essilor Eyezen Start 1.5 Crizal|Essilor|Eyezen Start|||EL|36|119|4|6|2
G-2007|Zeiss Einstärken ClearView 1.6 DuraVision Platinum|Zeiss|ClearView|||ZV|52|169|2|4|1
G-2008|Zeiss Einstärken ClearView 1.67 DuraVision Platinum|Zeiss|ClearView|||ZV|74|229|0|0|0
G-2009|Zeiss Officelens Individual 1.6 DuraVision|Zeiss|Officelens Individual|||ZV|118|339|0|0|0
G-2010|Rodenstock Perfalit 1.6 ColorMatic IQ 2 Solitaire|Rodenstock|Perfalit|Grau||RS|71|219|0|0|0
G-2011|Hoya Hilux 1.5 Hi-Vision LongLife|Hoya|Hilux|||HY|26|89|4|8|3
G-2012|Hoya Nulux 1.6 Hi-Vision LongLife BlueControl|Hoya|Nulux|||HY|44|149|2|3|1
G-2013|Hoya Nulux 1.67 Hi-Vision LongLife|Hoya|Nulux|||HY|66|209|0|0|0
G-2014|Hoya Hoyalux Summit Pro 1.5 Hi-Vision LongLife|Hoya|Hoyalux Summit Pro|||HY|61|189|0|0|0
G-2015|Hoya Hoyalux iD MyStyle V+ 1.6 LongLife|Hoya|Hoyalux iD MyStyle V+|||HY|172|519|0|0|0
KL-3001|Dailies Total1, 30 Tageslinsen|Alcon|Dailies Total1|||AL|19.50|39.90|10|14|2
KL-3002|Dailies AquaComfort Plus, 90 Tageslinsen|Alcon|AquaComfort|||AL|28|59.90|6|5|2
KL-3003|Acuvue Oasys, 6 2-Wochenlinsen|Acuvue|Oasys|||JJ|15.80|34.90|6|8|1
KL-3004|Acuvue Oasys 1-Day, 30 Tageslinsen|Acuvue|Oasys 1-Day|||JJ|20.40|42.90|8|6|2
KL-3005|Biofinity, 6 Monatslinsen|Biofinity|Biofinity|||CV|22.90|49.90|6|10|0
KL-3006|Biofinity toric, 3 Monatslinsen|Biofinity|toric|||CV|19.90|44.90|3|3|1
KL-3007|Air Optix plus HydraGlyde, 6 Monatslinsen|Alcon|Air Optix|||AL|21.50|45.90|4|6|0
P-4001|Opti-Free PureMoist All-in-one 300 ml|Alcon|Opti-Free|||AL|7.20|16.95|6|12|3
P-4002|AOSEPT Plus HydraGlyde 360 ml|Alcon|AOSEPT Plus|||AL|7.90|17.95|4|6|1
P-4003|Biotrue All-in-one 300 ml|Bausch + Lomb|Biotrue|||BL|6.10|14.95|4|3|2
P-4004|Zeiss Brillenreinigungstücher, 30 Stück|Zeiss|Lens Wipes|||ZV|1.60|4.95|10|30|4
S-5001|Ray-Ban Original Wayfarer RB2140 50|Ray-Ban|RB2140|Schwarz/G-15||EL|68|169|2|3|1
S-5002|Ray-Ban Aviator Classic RB3025 58|Ray-Ban|RB3025|Gold/G-15||EL|70|175|2|2|1
S-5003|Marc O'Polo Sonnenbrille 506183|Marc O'Polo|506183|Havanna||EO|42|119|1|2|0
Z-6001|Brillenetui Hartschale|||Schwarz||ZS|2.10|9.90|10|25|3
Z-6002|Brillenband Neopren|||Blau||ZS|1.80|6.90|5|8|1
Z-6003|Mikrofasertuch 18 × 18 cm|||Grau||ZS|0.45|3.50|20|6|4
Z-6004|Silikon-Nasenpads (Paar)|||Transparent||ZS|0.30|2.50|20|40|5
Z-6005|Kontaktlinsenbehälter|||||ZS|0.40|2.90|10|20|2
"""


# The parameters the demo contact lenses are made in, as their makers list
# them: design, base curves, diameters, sphere range; toric lenses also
# cylinders and axis steps.
LENS_PARAMETERS = {
    "KL-3001": ("spherical", "8.5", "14.1", "-12", "8", "", None),
    "KL-3002": ("spherical", "8.7", "14.0", "-15", "8", "", None),
    "KL-3003": ("spherical", "8.4 8.8", "14.0", "-12", "8", "", None),
    "KL-3004": ("spherical", "8.5 9.0", "14.3", "-12", "8", "", None),
    "KL-3005": ("spherical", "8.6", "14.0", "-12", "8", "", None),
    "KL-3006": ("toric", "8.7", "14.5", "-10", "8", "-0.75 -1.25 -1.75 -2.25", 10),
    "KL-3007": ("spherical", "8.6", "14.2", "-12", "8", "", None),
}


# The demo spectacle lenses: design, index, coatings, tint (DOMAIN.md);
# manufacturer and product line are brand and model above. Super
# anti-reflective and hard coat on all, as opticians sell them.
_AR = "super_ar hard"
LENS_ATTRIBUTES = {
    "G-2001": ("single_vision", "1.50", f"{_AR} clean", ""),
    "G-2002": ("progressive", "1.60", f"{_AR} clean", ""),
    "G-2003": ("progressive", "1.60", f"{_AR} clean", ""),
    "G-2004": ("progressive", "1.50", _AR, ""),
    "G-2005": ("progressive", "1.60", f"{_AR} clean", ""),
    "G-2006": ("single_vision", "1.50", f"{_AR} blue_filter", ""),
    "G-2007": ("single_vision", "1.60", f"{_AR} clean", ""),
    "G-2008": ("single_vision", "1.67", f"{_AR} clean", ""),
    "G-2009": ("occupational", "1.60", f"{_AR} clean", ""),
    "G-2010": ("single_vision", "1.60", f"{_AR} clean", "photochromic"),
    "G-2011": ("single_vision", "1.50", _AR, ""),
    "G-2012": ("single_vision", "1.60", f"{_AR} blue_filter", ""),
    "G-2013": ("single_vision", "1.67", _AR, ""),
    "G-2014": ("progressive", "1.50", _AR, ""),
    "G-2015": ("progressive", "1.60", f"{_AR} clean", ""),
}

# The price of ONE lens by power, as the labs' price lists go: a standard
# range, then dearer wider ones (stronger powers need a thicker blank or a
# higher index). A row: sphere from, sphere to, cylinder up to (its amount),
# sale price, purchase price. The product's sale price is the standard price,
# which also counts for a power no row covers.
LENS_PRICES = {
    "G-2001": [("-4", "4", "2", "129", "39"), ("-8", "6", "4", "159", "49")],
    "G-2002": [("-6", "6", "2", "489", "165"), ("-10", "8", "4", "559", "189")],
    "G-2003": [("-6", "6", "2", "549", "190"), ("-10", "8", "4", "619", "214")],
    "G-2004": [("-6", "6", "2", "399", "135"), ("-8", "6", "4", "449", "152")],
    "G-2007": [("-6", "6", "2", "169", "52"), ("-10", "8", "4", "199", "61")],
    "G-2008": [("-8", "6", "2", "229", "74"), ("-12", "8", "4", "269", "88")],
    "G-2011": [("-4", "4", "2", "89", "26"), ("-6", "6", "4", "119", "35")],
    "G-2012": [("-6", "6", "2", "149", "44"), ("-8", "6", "4", "179", "53")],
    "G-2014": [("-6", "6", "2", "189", "61"), ("-10", "8", "4", "249", "80")],
    "G-2015": [("-6", "6", "2", "519", "172"), ("-10", "8", "4", "589", "196")],
}


def _lens_attributes(number: str) -> dict:
    if number not in LENS_ATTRIBUTES:
        return {}
    design, index, coatings, tint = LENS_ATTRIBUTES[number]
    return {
        "spectacle_design": design,
        "lens_index": Decimal(index),
        "coatings": coatings.split(),
        "tint": tint,
    }


def _lens_prices(number: str) -> list[dict]:
    return [
        {
            "sphere_from": Decimal(low),
            "sphere_to": Decimal(high),
            "cylinder_to": Decimal(cylinder),
            "sale_price": Decimal(sale),
            "purchase_price": Decimal(purchase),
        }
        for low, high, cylinder, sale, purchase in LENS_PRICES.get(number, [])
    ]


def _lens_parameters(number: str) -> dict:
    if number not in LENS_PARAMETERS:
        return {}
    design, curves, diameters, low, high, cylinders, axis_step = LENS_PARAMETERS[number]
    return {
        "lens_design": design,
        "base_curves": [Decimal(v) for v in curves.split()],
        "diameters": [Decimal(v) for v in diameters.split()],
        "sphere_min": Decimal(low),
        "sphere_max": Decimal(high),
        "cylinders": [Decimal(v) for v in cylinders.split()],
        "axis_step": axis_step,
    }


def demo_assortment() -> list[dict]:
    """The products of ASSORTMENT as the service takes them, with the stock
    movements to book after: {"data": …, "received": n, "sold": n}."""
    items = []
    for line in ASSORTMENT.strip().splitlines():
        cells = [cell.strip() for cell in line.split("|")]
        number, name, brand, model, colour, size, supplier = cells[:7]
        purchase, sale, minimum, received, sold = cells[7:]
        lens_width, bridge_width, temple_length = (
            [int(part) for part in size.split("-")] if size else [None, None, None]
        )
        items.append(
            {
                "data": {
                    "category": CATEGORIES[number.split("-")[0]],
                    "article_number": number,
                    "ean": demo_ean(int(number.split("-")[1])),
                    "name": name,
                    "brand": brand,
                    "model": model,
                    "colour": colour,
                    "lens_width": lens_width,
                    "bridge_width": bridge_width,
                    "temple_length": temple_length,
                    "supplier": supplier,
                    "purchase_price": Decimal(purchase),
                    "sale_price": Decimal(sale),
                    "vat_rate": 19,
                    "minimum_stock": int(minimum),
                    "active": True,
                    **_lens_parameters(number),
                    **_lens_attributes(number),
                },
                "received": int(received),
                "sold": int(sold),
            }
        )
    return items


def demo_ean(serial: int) -> str:
    """An EAN-13 with a valid check digit in the in-store range (prefix 20),
    so demo codes never collide with real products."""
    body = f"20{serial:010d}"
    return body + str(gtin.check_digit(body))


def seed_demo_products(*, user=None) -> int:
    """Create the demo suppliers and the products that do not exist yet, with
    their opening stock booked as goods received; return how many were new."""
    suppliers = {}
    for code, (name, customer_number, email, phone) in SUPPLIERS.items():
        suppliers[code], _ = Supplier.objects.get_or_create(
            name=name,
            defaults={"customer_number": customer_number, "email": email, "phone": phone},
        )
    existing = set(Product.objects.values_list("article_number", flat=True))
    created = 0
    for item in demo_assortment():
        data = item["data"]
        if data["article_number"] in existing:
            continue
        product = services.product_create(data={**data, "supplier": suppliers[data["supplier"]]})
        if item["received"]:
            services.stock_move(
                product_id=product.pk,
                kind=Kind.RECEIPT,
                quantity=item["received"],
                note="Anfangsbestand",
                user=user,
            )
        if item["sold"]:
            services.stock_move(
                product_id=product.pk, kind=Kind.SALE, quantity=item["sold"], user=user
            )
        existing.add(data["article_number"])
        created += 1
    _seed_demo_lenses()
    return created


def _seed_demo_lenses() -> None:
    """The demo spectacle lenses' attributes and price lists, also for lenses
    seeded before they had them: attributes only where none are set, prices
    only for a lens without any, so nothing changed by hand is touched."""
    lenses = Product.objects.filter(
        article_number__in=LENS_ATTRIBUTES.keys() | LENS_PRICES.keys(),
        category=Category.SPECTACLE_LENS,
    )
    priced = set(LensPrice.objects.filter(product__in=lenses).values_list("product_id", flat=True))
    for lens in lenses:
        number = lens.article_number
        if number in LENS_ATTRIBUTES and not lens.has_spectacle_lens_attributes:
            services.product_update(product_id=lens.pk, data=_lens_attributes(number))
        if lens.pk not in priced:
            for row in _lens_prices(number):
                services.lens_price_create(product_id=lens.pk, data=row)
