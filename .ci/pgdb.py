"""CI helper: check that PostgreSQL answers, create or drop a scratch database."""

import sys

import psycopg2

ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}


def main(action: str, name: str = "") -> int:
    try:
        conn = psycopg2.connect(connect_timeout=5, **ADMIN)
    except psycopg2.OperationalError as exc:
        print(f"PostgreSQL does not answer: {exc}")
        return 1
    conn.autocommit = True
    with conn.cursor() as cur:
        if action in {"create", "drop"}:
            for db in (name, f"test_{name}"):
                # FORCE: a test's leftover connection must not keep the scratch database.
                cur.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        if action == "create":
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
