"""PostgreSQL for the benchmarks: a fresh database per run (shared helper, not a benchmark)."""

from __future__ import annotations

import sys


def fresh_database(url: str, measures: str) -> bool:
    """Drop and create the database of `url`; False (saying which figures are not measured) when no
    PostgreSQL server answers."""
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    try:
        with psycopg.connect(host=config["HOST"], port=config["PORT"] or 5432, user=config["USER"],
                             password=config["PASSWORD"] or None, dbname="postgres", autocommit=True,
                             connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{config["NAME"]}"')
    except psycopg.OperationalError as e:
        print(f"PostgreSQL not reachable ({e}); {measures} not measured", file=sys.stderr)
        return False
    return True
