"""`make bench`: measure the production server on this machine.

1. Pages — the overview, the matrix, a KPI page and the Excel report next to a trivial
   health endpoint: requests per second and p50/p95 latency under load (wrk), with the
   real program (80 KPIs) and a synthetic one ten times larger (800 KPIs), each with
   seven years of approved values, and the real program with all 44 shares calculated
   from the contributions of 30 units × 7 years ("calculated"; its KPI page is a
   calculated share's, with the tree of units); with the dashboard cache off and on;
   and the application's own time per page (Server-Timing) with the cache off.
2. The Excel report next to bare openpyxl writing the same cells.
3. Importing 10,000 actual values through the real import path (validation, history).
4. Load: 50 clients for 60 seconds mixing reads with saves and submits, two planning-office
   clients approving, returning and reopening; then a count of lost writes.

Everything runs against PostgreSQL on 127.0.0.1:5432 in scratch databases. The table is
printed and written to benchmarks/results/ with a description of the machine."""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
# Two benchmarks on one machine (two checkouts) need their own port and databases.
PORT = int(os.environ.get("BENCH_PORT", "8765"))
DATABASE_PREFIX = os.environ.get("BENCH_DATABASE_PREFIX", "metu_bench")
BASE = f"http://127.0.0.1:{PORT}"
PAGES = {
    "health": "/healthz",
    "overview": "/?year=2025",
    "matrix": "/matrix/",
    "kpi page": "/kpi/1.1.1/",
    "excel report": "/reports/ministry.xlsx?year=2025",
}
WRK_SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
WRK_CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def database_url(name: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def fresh_database(name: str) -> None:
    subprocess.run([PY, str(ROOT / ".ci" / "pgdb.py"), "create", name], check=True)


def drop_database(name: str) -> None:
    subprocess.run([PY, str(ROOT / ".ci" / "pgdb.py"), "drop", name], check=False)


def django_env(db: str, **extra: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url(db),
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-only-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


CALCULATED = "calculated"  # the scale of the real program with its shares calculated
CALCULATED_UNITS = int(os.environ.get("BENCH_CALCULATED_UNITS", "30"))
CALCULATED_PAGES = {**PAGES, "kpi page": "/kpi/1.1.4/?year=2025"}  # 1.1.4 is a share


def prepare(db: str, scale: int, static_root: str, *, calculated_units: int = 0) -> None:
    fresh_database(db)
    env = django_env(db, STATIC_ROOT=static_root)
    subprocess.run(
        [PY, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    extra = ["--calculated-units", str(calculated_units)] if calculated_units else []
    subprocess.run(
        [PY, "benchmarks/setup_data.py", "--scale", str(scale), *extra],
        cwd=ROOT,
        env=env,
        check=True,
    )


@contextmanager
def server(db: str, static_root: str, cache: bool):
    env = django_env(
        db,
        STATIC_ROOT=static_root,
        DASHBOARD_CACHE_SECONDS="300" if cache else "0",
        BIND=f"127.0.0.1:{PORT}",
        WEB_CONCURRENCY=os.environ.get("BENCH_WORKERS", "3"),
        ACCESS_LOG="/dev/null",
    )
    subprocess.run(
        [PY, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    gunicorn = str(Path(PY).parent / "gunicorn")
    process = subprocess.Popen(
        [gunicorn, "metu_strategy.wsgi", "-c", "metu_strategy/gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(BASE + "/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("the server did not start: " + process.stderr.read(2000).decode())
        yield
    finally:
        process.terminate()
        process.wait(20)


class Session:
    """A signed-in browser session over plain urllib."""

    def __init__(self, username: str, password: str):
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self.get("/accounts/login/")
        self.post(
            "/accounts/login/",
            {"username": username, "password": password, "csrfmiddlewaretoken": csrf_token(page)},
        )
        if "sessionid" not in self.cookie_header():
            raise RuntimeError(f"cannot sign in as {username}")

    def get(self, path: str) -> str:
        with self.opener.open(BASE + path, timeout=60) as response:
            return response.read().decode("utf-8", "replace")

    def post(self, path: str, data: dict) -> tuple[int, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode()
        request = urllib.request.Request(BASE + path, data=body, headers={"Referer": BASE + path})
        with self.opener.open(request, timeout=60) as response:
            return response.status, response.read().decode("utf-8", "replace")

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def server_ms(self, path: str) -> float:
        with self.opener.open(BASE + path, timeout=60) as response:
            response.read()
            timing = response.headers.get("Server-Timing", "")
        return float(re.search(r"dur=([\d.]+)", timing).group(1))


def csrf_token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def wrk(path: str, cookie: str) -> dict:
    result = subprocess.run(
        [
            "wrk",
            f"-t{min(2, WRK_CONNECTIONS)}",
            f"-c{WRK_CONNECTIONS}",
            f"-d{WRK_SECONDS}s",
            "--timeout",
            "30s",
            "-s",
            str(ROOT / "benchmarks" / "wrk_report.lua"),
            "-H",
            f"Cookie: {cookie}",
            BASE + path,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(result.stdout.strip().splitlines()[-1])
    return {
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        "p50_ms": data["p50_us"] / 1000,
        "p95_ms": data["p95_us"] / 1000,
        "errors": data["errors"] + data["non2xx"],
    }


def measure_pages(label: str, db: str, static_root: str, pages: dict | None = None) -> list[dict]:
    rows = []
    pages = pages or PAGES
    samples_per_page = int(os.environ.get("BENCH_SAMPLES", "30"))
    with server(db, static_root, cache=False):
        session = Session("rector", "rector-demo")
        for page, path in pages.items():
            if page == "health":
                continue
            samples = [session.server_ms(path) for _ in range(samples_per_page)]
            rows.append(
                {
                    "scale": label,
                    "page": page,
                    "measure": "server time, uncached",
                    "p50_ms": statistics.median(samples),
                    "p95_ms": statistics.quantiles(samples, n=20)[18],
                }
            )
        for page, path in pages.items():
            log(f"{label}: {page}, cache off")
            rows.append(
                {
                    "scale": label,
                    "page": page,
                    "measure": "load, cache off",
                    **wrk(path, session.cookie_header()),
                }
            )
    with server(db, static_root, cache=True):
        session = Session("rector", "rector-demo")
        for page, path in pages.items():
            log(f"{label}: {page}, cache on")
            session.get(path)  # warm
            rows.append(
                {
                    "scale": label,
                    "page": page,
                    "measure": "load, cache on",
                    **wrk(path, session.cookie_header()),
                }
            )
    return rows


def run_script(script: str, db: str, *args: str) -> dict:
    result = subprocess.run(
        [PY, f"benchmarks/{script}", *args],
        cwd=ROOT,
        env=django_env(db),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    pg = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "show server_version"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": pg,
        "workers": os.environ.get("BENCH_WORKERS", "3"),
        "wrk": f"{WRK_CONNECTIONS} connections, {WRK_SECONDS} s per page",
    }


def table(results: dict) -> str:
    pages = results["pages"]
    lines = [
        "| scale | page | measure | req/s | p50 ms | p95 ms | vs health | errors |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    health = {(r["scale"], r["measure"]): r["rps"] for r in pages if r["page"] == "health"}
    for r in pages:
        rps = r.get("rps")
        ratio = (
            rps / health[(r["scale"], r["measure"])]
            if rps and (r["scale"], r["measure"]) in health
            else None
        )
        lines.append(
            f"| {r['scale']} | {r['page']} | {r['measure']} | {f'{rps:.0f}' if rps else ''} | "
            f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {f'{ratio:.2f}' if ratio else ''} | "
            f"{r.get('errors', '')} |"
        )
    lines += ["", "| measure | value |", "|---|---|"]
    if excel := results.get("excel"):
        lines += [
            f"| Excel report, {excel['cells']} cells | {excel['report_s'] * 1000:.0f} ms |",
            f"| bare openpyxl, same cells | {excel['bare_s'] * 1000:.0f} ms |",
            f"| report ÷ bare openpyxl | {excel['report_s'] / excel['bare_s']:.2f} |",
        ]
    if imports := results.get("imports"):
        lines.append(
            f"| import of {imports['values']} values, validated, with history "
            f"| {imports['seconds']:.1f} s |"
        )
    if load := results.get("load"):
        lines += [
            f"| load: clients × seconds | {load['clients']} × {load['seconds']} |",
            f"| load: requests (reads / saves) | {load['reads']} / {load['saves']} |",
            f"| load: saves that also submitted | {load['submits']} |",
            f"| load: planning office approved / returned / reopened "
            f"| {load['approve']} / {load['return']} / {load['reopen']} |",
            f"| load: errors / answered without a message | {load['errors']} / {load['silent']} |",
            f"| load: saves refused as conflicts | {load['conflicts']} |",
            f"| load: lost writes (accepted, not stored) | {load['lost_writes']} |",
            f"| load: refused but stored / review actions lost "
            f"| {load['refused_but_stored']} / {load['reviews_lost']} |",
        ]
    return "\n".join(lines)


def main() -> int:
    if not shutil.which("wrk"):
        print("wrk is missing: `make bench` installs it (apt-get install wrk).")
        return 1
    # BENCH_PARTS=pages BENCH_SCALES=80 measures the pages of the real program alone;
    # BENCH_SCALES=80,calculated the real program and the one with calculated shares.
    parts = os.environ.get("BENCH_PARTS", "pages,excel,import,load").split(",")
    scales = os.environ.get("BENCH_SCALES", f"80,800,{CALCULATED}").split(",")
    static_root = tempfile.mkdtemp(prefix="metu-bench-static-")
    databases = {
        f"{size} KPIs": (f"{DATABASE_PREFIX}_{size}", int(size) // 80)
        for size in ["80", *[s for s in scales if s not in ("80", CALCULATED)]]
    }
    calculated_label = f"80 KPIs, 44 calculated over {CALCULATED_UNITS} units"
    if CALCULATED in scales:
        databases[calculated_label] = (f"{DATABASE_PREFIX}_{CALCULATED}", 1)
    main_db = databases["80 KPIs"][0]
    import_db = f"{DATABASE_PREFIX}_import"
    results: dict = {"machine": machine(), "started": datetime.now(UTC).isoformat()}
    try:
        pages = []
        for label, (db, scale) in databases.items():
            log(f"preparing {label}")
            if label == calculated_label:
                prepare(db, scale, static_root, calculated_units=CALCULATED_UNITS)
                if "pages" in parts:
                    pages += measure_pages(label, db, static_root, CALCULATED_PAGES)
                continue
            prepare(db, scale, static_root)
            if "pages" in parts and label.split()[0] in scales:
                pages += measure_pages(label, db, static_root)
        results["pages"] = pages
        if "excel" in parts:
            log("Excel report vs bare openpyxl")
            results["excel"] = run_script("excel_vs_openpyxl.py", main_db)
        if "import" in parts:
            log("import of 10,000 values")
            fresh_database(import_db)
            subprocess.run(
                [PY, "manage.py", "migrate", "--no-input", "-v", "0"],
                cwd=ROOT,
                env=django_env(import_db),
                check=True,
            )
            results["imports"] = run_script("import_values.py", import_db, "--values", "10000")
        if "load" in parts:
            log("load: 50 clients, 60 s")
            with server(main_db, static_root, cache=True):
                results["load"] = json.loads(
                    subprocess.run(
                        [
                            PY,
                            "benchmarks/load.py",
                            "--base",
                            BASE,
                            "--clients",
                            "50",
                            "--seconds",
                            os.environ.get("BENCH_LOAD_SECONDS", "60"),
                        ],
                        cwd=ROOT,
                        env=django_env(main_db),
                        capture_output=True,
                        text=True,
                        check=True,
                    )
                    .stdout.strip()
                    .splitlines()[-1]
                )
    finally:
        shutil.rmtree(static_root, ignore_errors=True)
        for db, _scale in [*databases.values(), (import_db, 0)]:
            drop_database(db)
    text = table(results)
    description = "\n".join(f"- {k}: {v}" for k, v in results["machine"].items())
    report = f"# Benchmark {results['started']}\n\nMachine:\n{description}\n\n{text}\n"
    print("\n" + report)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / f"{stamp}.md").write_text(report)
    (out / f"{stamp}.json").write_text(json.dumps(results, indent=1, default=str))
    (out / "latest.md").write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
