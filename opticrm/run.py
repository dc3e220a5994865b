"""`make run`: prepare the database, then serve; stop the embedded database
however the server ends (Ctrl+C included)."""

import argparse
import os
import signal
import subprocess
import sys

from opticrm import embedded_db


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", default="8000")
    port = parser.parse_args().port
    os.environ.setdefault("DEBUG", "true")
    # A container or process manager stops with SIGTERM: clean up as for Ctrl+C.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        manage("migrate", "--no-input")
        manage("seed_demo")
        print(f"OptiCRM läuft auf http://127.0.0.1:{port}/  (Beenden mit Strg+C)", flush=True)
        manage("runserver", f"127.0.0.1:{port}")
    except KeyboardInterrupt:
        pass
    except subprocess.CalledProcessError as error:
        return error.returncode
    finally:
        if not os.environ.get("DATABASE_URL"):
            embedded_db.stop()
            print("Eingebettete PostgreSQL-Datenbank gestoppt.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
