"""Running what the import page queues, in the test's own process."""

import io

from django_tasks_db.models import DBTaskResult

from imports.services import job_run


def run_queued_imports() -> int:
    """Run the queued import tasks as the worker would, oldest first; how
    many ran. (test_worker starts a real worker process for the rest.)"""
    ran = 0
    for result in DBTaskResult.objects.filter(task_path__endswith="run_import").order_by(
        "enqueued_at"
    ):
        job_run(**result.args_kwargs["kwargs"])
        result.delete()
        ran += 1
    return ran


def csv_bytes(rows: list[list[str]], *, delimiter: str = ";", encoding: str = "utf-8") -> bytes:
    text = "\r\n".join(delimiter.join(row) for row in rows) + "\r\n"
    return text.encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


HEADER = ["Kundennr", "Anrede", "Vorname", "Nachname", "Geburtsdatum", "Telefon", "E-Mail", "Ort"]
# A customer row of HEADER, as a previous system writes it.
ERIKA = [
    "4711",
    "Frau",
    "Erika",
    "Mustermann",
    "03.04.1961",
    "030 1234567",
    "erika@example.org",
    "Berlin",
]
