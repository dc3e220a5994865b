"""GTIN/EAN check digits (GS1 mod 10), free of Django."""

GTIN_LENGTHS = (8, 12, 13, 14)


def check_digit(body: str) -> int:
    """The check digit for the digits before it: weights 3,1,3,… from the right."""
    total = sum(
        int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(body))
    )
    return (10 - total % 10) % 10


def is_valid(code: str) -> bool:
    return (
        code.isascii()
        and code.isdigit()
        and len(code) in GTIN_LENGTHS
        and check_digit(code[:-1]) == int(code[-1])
    )
