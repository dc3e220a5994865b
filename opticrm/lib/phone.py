import phonenumbers


def format_phone(number) -> str:
    """National format for German numbers (0151 23456789), international for
    all others (+33 1 23 45 67 89), as staff dial them from the shop."""
    if not number:
        return ""
    parsed = number
    if not isinstance(parsed, phonenumbers.PhoneNumber):
        try:
            parsed = phonenumbers.parse(str(number), "DE")
        except phonenumbers.NumberParseException:
            return str(number)
    if parsed.country_code == 49:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
