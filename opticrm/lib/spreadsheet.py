"""Text that goes into a spreadsheet (CSV or XLSX export): every export
passes its free-text cells through here."""

# A cell starting with one of these is run as a formula by Excel or
# LibreOffice (OWASP "CSV injection"); tab and CR too, as spreadsheets skip
# them before looking; the full-width forms are read as their ASCII twins.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def spreadsheet_text(value: str) -> str:
    """The value as typed text: with an apostrophe in front where a
    spreadsheet would otherwise compute it."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value
