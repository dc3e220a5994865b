"""A transactional test's flush empties the reference tables; conftest's
REFERENCE_DATA seeds them again. A data migration left off that list goes
unnoticed while an earlier one happens to fill the same table (0003's seed
reads the kinds of today's model, so it wrote 0008's templates too)."""

import ast
from pathlib import Path

from conftest import REFERENCE_DATA

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def test_every_migration_that_seeds_is_seeded_again_after_a_flush():
    seeding = set()
    for path in BASE_DIR.glob("*/migrations/0*.py"):
        tree = ast.parse(path.read_text())
        if any(isinstance(node, ast.FunctionDef) and node.name == "seed" for node in tree.body):
            seeding.add(".".join(path.relative_to(BASE_DIR).with_suffix("").parts))
    assert "messaging.migrations.0003_starting_templates" in seeding
    assert seeding == set(REFERENCE_DATA)
