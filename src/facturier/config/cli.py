"""The `facturier` command: Django's management commands plus the project's own."""

import os
import sys

from django.core.exceptions import ImproperlyConfigured


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facturier.config.settings")
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["facturier", *(sys.argv[1:] if argv is None else argv)])
    except ImproperlyConfigured as e:
        # A configuration mistake gets its one-line message, not a traceback through Django.
        print(f"facturier: configuration error: {e}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
