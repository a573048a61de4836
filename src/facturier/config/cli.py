"""The `facturier` command: Django's management commands plus the project's own.

`facturier migrate` connects with FACTURIER_MIGRATE_DATABASE_URL when it is set: in production the
tables belong to a migration role, and the application's role (DATABASE_URL) only reads and
writes rows — it cannot drop the triggers that keep the audit log and the archive append-only.
"""

import os
import sys

from django.core.exceptions import ImproperlyConfigured

MIGRATION_COMMANDS = {"migrate"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facturier.config.settings")
    from django.core.management import execute_from_command_line

    from facturier.config import env

    args = sys.argv[1:] if argv is None else argv
    try:
        migrator = env.raw("FACTURIER_MIGRATE_DATABASE_URL")
        if args and args[0] in MIGRATION_COMMANDS and migrator:
            os.environ["DATABASE_URL"] = migrator
            os.environ.pop("DATABASE_URL_FILE", None)
        execute_from_command_line(["facturier", *args])
    except ImproperlyConfigured as e:
        # A configuration mistake gets its one-line message, not a traceback through Django.
        print(f"facturier: configuration error: {e}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
