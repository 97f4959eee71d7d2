"""Why the data version moves after the commit, not inside the writing transaction.

Writers on PostgreSQL (127.0.0.1:5432, a scratch database), each in a loop: write its own
row, work `--work` ms (validation, history rows, files), commit. The data version (one
row) is moved by an UPDATE either inside that transaction, which then holds the row's
lock until its commit, or after the commit, in a statement of its own. Prints the
transactions per second and their latency both ways.

    python benchmarks/version_lock.py [--clients 30] [--seconds 10] [--work 10]"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time

import psycopg2

NAME = os.environ.get("BENCH_DATABASE_PREFIX", "metu_bench") + "_lock"
DSN = f"host=127.0.0.1 user=postgres dbname={NAME}"
MOVE = "UPDATE version SET value = value + 1 WHERE id = 1"


def run(mode: str, clients: int, seconds: float, work_ms: float) -> str:
    stop = time.monotonic() + seconds
    latencies: list[float] = []
    lock = threading.Lock()

    def client(row: int) -> None:
        conn = psycopg2.connect(DSN)
        cur = conn.cursor()
        while time.monotonic() < stop:
            started = time.monotonic()
            cur.execute("UPDATE data SET value = value + 1 WHERE id = %s", [row])
            if mode == "in the transaction":
                cur.execute(MOVE)
            time.sleep(work_ms / 1000)
            conn.commit()
            if mode == "after the commit":
                cur.execute(MOVE)
                conn.commit()
            with lock:
                latencies.append(time.monotonic() - started)
        conn.close()

    threads = [threading.Thread(target=client, args=(row,)) for row in range(1, clients + 1)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    p95 = statistics.quantiles(latencies, n=20)[18]
    return (
        f"version moved {mode}: {len(latencies) / elapsed:.0f} transactions/s, "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--work", type=float, default=10, help="ms of work per transaction")
    args = parser.parse_args()
    admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
    admin.cursor().execute(f'CREATE DATABASE "{NAME}"')
    try:
        setup = psycopg2.connect(DSN)
        setup.autocommit = True
        setup.cursor().execute(
            "CREATE TABLE version (id int PRIMARY KEY, value bigint);"
            "INSERT INTO version VALUES (1, 0);"
            "CREATE TABLE data (id int PRIMARY KEY, value int);"
            "INSERT INTO data SELECT g, 0 FROM generate_series(1, %s) g",
            [args.clients],
        )
        setup.close()
        print(f"{args.clients} writers, {args.work:g} ms of work per transaction")
        for mode in ("after the commit", "in the transaction"):
            print(run(mode, args.clients, args.seconds, args.work))
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')


if __name__ == "__main__":
    main()
