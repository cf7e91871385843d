"""Time and peak memory of importing 110 incidents (issue 11, item 4).

    .venv/bin/python bench/import_incidents.py --rows 100000 [--format xlsx|csv|both]

Writes a workbook (and/or CSV) of valid rows for existing police grids (a throwaway set of
police grids when the database has none), imports it as `manage.py import_incidents` does, and
prints rows, seconds and peak memory: the process's resident memory before the import and its
peak during it (Linux VmHWM, reset before each import); with --trace, Python's traced peak in
a further, traced run.
Then it imports the same file again (everything already known) and removes what it created.
Use a database you can spare: DATABASE_URL=sqlite:////tmp/bench.sqlite3 after `manage.py migrate`.
"""

import argparse
import csv
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import openpyxl  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from grids.models import PoliceGrid, PoliceStation  # noqa: E402
from incidents import importing  # noqa: E402
from incidents.models import Incident  # noqa: E402

HEADERS = [c.header for c in importing.COLUMNS] + ["坐席号"]  # an extra column, ignored
PREFIX = "BENCH"


def rows(count, codes):
    start = datetime.now() - timedelta(days=300)
    for i in range(count):
        yield [
            f"{PREFIX}{i:09d}",
            (start + timedelta(minutes=2 * i)).strftime("%Y-%m-%d %H:%M:%S"),
            f"报警人{i % 997}",
            f"138{i % 100_000_000:08d}",
            f"栖凤路{i % 300}号{i % 12 + 1}幢{i % 4 + 1}单元{i % 30 + 101}室",
            ("纠纷", "求助", "噪音扰民", "邻里纠纷")[i % 4],
            "楼上楼下因漏水发生争执，双方情绪激动，请求民警到场处置。",
            codes[i % len(codes)],
            "民警到场调解，双方同意由社区继续跟进。",
            f"{i % 40:03d}",
        ]


def write_xlsx(path, count, codes):
    # openpyxl's write-only mode writes shared strings, as Excel and WPS do (xlsxwriter's
    # constant-memory mode writes inline strings, which openpyxl reads more slowly).
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("110")
    sheet.append(HEADERS)
    for row in rows(count, codes):
        sheet.append(row)
    workbook.save(path)


def write_csv(path, count, codes):
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        writer.writerows(rows(count, codes))


def _status(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    return 0


def _reset_peak_rss():
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # resets VmHWM, the peak resident set (Linux >= 4.0)
    except OSError:
        pass


def _run(path, police_grids, traced=False):
    """Import once; (report, seconds, RSS before, peak RSS during, Python's traced peak or None)."""
    _reset_peak_rss()
    before = _status("VmRSS:")
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    try:
        report = importing.import_file(path, police_grids=police_grids)
        seconds = time.perf_counter() - started
        traced_peak = tracemalloc.get_traced_memory()[1] if traced else None
    finally:
        if traced:
            tracemalloc.stop()
    assert report.ok, report.errors[:5]
    return report, seconds, before, _status("VmHWM:"), traced_peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--format", choices=["xlsx", "csv", "both"], default="both")
    parser.add_argument("--trace", action="store_true",
                        help="also import once under tracemalloc (several times slower)")
    parser.add_argument("--no-header", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.format == "both":
        # one process per format, so that each peak of resident memory is its own
        for number, fmt in enumerate(("xlsx", "csv")):
            subprocess.run([sys.executable, __file__, "--rows", str(args.rows), "--format", fmt]
                           + (["--trace"] if args.trace else []) + (["--no-header"] if number else []), check=True)
        return
    if Incident._meta.db_table not in connection.introspection.table_names():
        sys.exit("The incidents tables are missing: run `manage.py migrate` on this database first.")
    created_grids = []
    codes = list(PoliceGrid.objects.order_by("code").values_list("code", flat=True)[:8])
    if not codes:
        station, _ = PoliceStation.objects.get_or_create(name="基准测试派出所")
        created_grids = [PoliceGrid.objects.create(station=station, name=f"基准第{i}警务区", code=f"BENCH-J{i:02d}",
                                                   post_name="基准警务室") for i in range(1, 9)]
        codes = [g.code for g in created_grids]
    police_grids = PoliceGrid.objects.all()
    if not args.no_header:
        _header(args)
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"bench.{args.format}"
            # written by a child process, so that the writer's memory is not this process's
            writer = multiprocessing.get_context("fork").Process(
                target=write_xlsx if args.format == "xlsx" else write_csv, args=(path, args.rows, codes))
            writer.start()
            writer.join()
            Incident.objects.filter(number__startswith=PREFIX).delete()
            report, seconds, before, peak, _ = _run(path, police_grids)
            assert report.new == args.rows, (report.new, args.rows)
            again, again_seconds, *_ = _run(path, police_grids)
            assert again.new == 0 and again.known == args.rows
            traced = "—"
            if args.trace:
                Incident.objects.filter(number__startswith=PREFIX).delete()
                traced = f"{_run(path, police_grids, traced=True)[4] / 2**20:.1f} MB"
            print(f"| {args.format} | {args.rows} | {path.stat().st_size / 2**20:.1f} MB | {seconds:.1f} s | "
                  f"{args.rows / seconds:.0f} | {before / 2**20:.0f} → {peak / 2**20:.0f} MB | "
                  f"{again_seconds:.1f} s | {traced} |", flush=True)
    finally:
        Incident.objects.filter(number__startswith=PREFIX).delete()
        for grid in created_grids:
            grid.delete()
        if created_grids:
            PoliceStation.objects.filter(name="基准测试派出所").delete()


def _header(args):
    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']}), rows: {args.rows}, "
          f"load average before: {os.getloadavg()[0]:.1f}, DEBUG={settings.DEBUG}")
    print("| file | rows | size | import (check + write) | rows/s | RSS before → peak | "
          "re-import (all known) | Python traced peak |")
    print("|---|---|---|---|---|---|---|---|")


if __name__ == "__main__":
    main()
