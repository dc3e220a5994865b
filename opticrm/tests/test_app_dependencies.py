"""Apps depend one way (issue 24): customers is the base the others build
on; no app imports a sibling that imports it back."""

import ast
import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
APPS = [
    "customers",
    "appointments",
    "products",
    "prescriptions",
    "messaging",
    "api",
    "live",
    "privacy",
    "imports",
    "orders",
    "invoices",
    "today",
    "reports",
    "documents",
]
# What each app may build on. Anything else is a dependency the wrong way.
ALLOWED = {
    "customers": set(),
    "products": set(),
    "appointments": {"customers"},
    "prescriptions": {"customers", "products"},
    # Reminders, recalls and consent: about customers and their appointments.
    "messaging": {"customers", "appointments", "prescriptions"},
    "api": {
        "customers",
        "appointments",
        "products",
        "prescriptions",
        "messaging",
        "orders",
        "invoices",
    },
    "live": {"customers", "appointments", "products", "prescriptions", "messaging"},
    # The person's data rights: everything stored about a customer (their
    # documents too).
    "privacy": {"customers", "appointments", "prescriptions", "messaging", "orders", "documents"},
    # Bringing records over from the previous system, through their services.
    "imports": {"customers", "appointments", "products", "prescriptions"},
    # Orders: glasses made for a customer's refraction, from the products.
    "orders": {"customers", "products", "prescriptions", "messaging", "appointments"},
    # Invoices: of a customer, from an order's positions and their products;
    # sent by e-mail as a service message.
    "invoices": {"customers", "orders", "products", "messaging"},
    # The start page: the day's share of everything the shop does.
    "today": {"customers", "appointments", "products", "messaging", "orders", "live"},
    # Reports: figures of the invoices (their positions' products, the
    # orders' staff), of the appointments (against the opening hours), of
    # the customers (a snapshot the worker counts) and of the recalls sent,
    # read from summary tables the database keeps.
    "reports": {"invoices", "orders", "products", "appointments", "customers", "messaging"},
    # Customer documents: of a customer, a prescription linked to its
    # refraction, a try-on photo naming the frame (a product) worn.
    "documents": {"customers", "prescriptions", "products"},
}


def _sources(app: str):
    for path in (BASE_DIR / app).rglob("*.py"):
        if not {"tests", "migrations"} & set(path.relative_to(BASE_DIR).parts):
            yield path


def _imports(app: str) -> dict[str, set[str]]:
    """sibling app -> files of ``app`` that import it (at any depth of the code)."""
    found: dict[str, set[str]] = {}
    for path in _sources(app):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in APPS and top != app:
                    found.setdefault(top, set()).add(str(path.relative_to(BASE_DIR)))
    return found


def _string_references(app: str) -> dict[str, set[str]]:
    """Sibling models named in strings ("appointments.Appointment",
    get_model("appointments", ...)): an import in disguise."""
    pattern = re.compile(r"""get_model\(\s*["'](\w+)["']|["'](\w+)\.[A-Z]\w*["']""")
    found: dict[str, set[str]] = {}
    for path in _sources(app):
        for match in pattern.finditer(path.read_text()):
            other = match.group(1) or match.group(2)
            if other in APPS and other != app:
                found.setdefault(other, set()).add(str(path.relative_to(BASE_DIR)))
    return found


def test_each_app_imports_only_what_it_builds_on():
    wrong = {
        app: {other: files for other, files in _imports(app).items() if other not in ALLOWED[app]}
        for app in APPS
    }
    assert {app: found for app, found in wrong.items() if found} == {}


def test_no_app_names_a_siblings_model_it_does_not_build_on():
    wrong = {
        app: {
            other: files
            for other, files in _string_references(app).items()
            if other not in ALLOWED[app]
        }
        for app in APPS
    }
    assert {app: found for app, found in wrong.items() if found} == {}


def test_no_two_apps_import_each_other():
    graph = {app: set(_imports(app)) for app in APPS}
    cycles = {tuple(sorted((a, b))) for a in APPS for b in graph[a] if a in graph.get(b, set())}
    assert cycles == set()


def _sql_references(app: str) -> dict[str, set[str]]:
    """Sibling tables and database functions named in the code's strings
    ("appointments_next_start(id)", "prescriptions_refraction"): the
    database's way of importing a sibling."""
    pattern = re.compile(r"\b([a-z]+)_[a-z]\w*")
    found: dict[str, set[str]] = {}
    for path in _sources(app):
        tree = ast.parse(path.read_text())
        # Docstrings are prose: they may name whatever they explain.
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            if id(node) in docstrings:
                continue
            for match in pattern.finditer(node.value):
                other = match.group(1)
                if other in APPS and other != app:
                    found.setdefault(other, set()).add(str(path.relative_to(BASE_DIR)))
    return found


def test_no_app_names_a_siblings_tables_or_functions_it_does_not_build_on():
    wrong = {
        app: {
            other: files
            for other, files in _sql_references(app).items()
            if other not in ALLOWED[app]
        }
        for app in APPS
    }
    assert {app: found for app, found in wrong.items() if found} == {}


def test_no_app_imports_a_siblings_private_name():
    """What several apps use is public, in opticrm/lib or in the app that
    owns it: a leading underscore means its own app may change it freely."""
    found = set()
    for app in APPS:
        for path in _sources(app):
            for node in ast.walk(ast.parse(path.read_text())):
                if not (isinstance(node, ast.ImportFrom) and node.module and node.level == 0):
                    continue
                top = node.module.split(".")[0]
                if top in {*APPS, "opticrm"} and top != app:
                    found |= {
                        f"{path.relative_to(BASE_DIR)}: {node.module}.{alias.name}"
                        for alias in node.names
                        if alias.name.startswith("_")
                    }
    assert found == set()
