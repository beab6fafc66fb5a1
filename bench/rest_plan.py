"""REST request -> SQL, before and after a change, in one process: parse + resolve + render, no database.

The gateway's own Python cost per request (what `rest_throughput.py` measures end to
end behind the database and the network) for representative query shapes. The
modules of `--before` (a git ref, default `main`) are loaded from git into a
throw-away package beside the working tree's, both run against the same in-memory
schema cache, rounds alternate which side goes first so load on the machine hits both alike. Prints
microseconds per request (the best round of each) and the ratio after/before, warm
(texts seen before, the usual case: apps send the same select lists) and cold (the
tokenizer's cache emptied before every request).

    .venv/bin/python bench/rest_plan.py [--before main] [--rounds 7] [--iterations 2000]
"""

from __future__ import annotations

import argparse
import gc
import importlib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.local_supabase.rest.schema_cache import Column, ForeignKey, SchemaCache, Table  # noqa: E402

REST = "backend/local_supabase/rest"
SHAPES = {
    "pk lookup": {"select": "*", "id": "eq.5"},
    "embed+order": {"select": "id,title,author:authors!author_id(name),covers(url)", "year": "gt.2000",
                    "order": "year.desc.nullslast,id", "limit": "10"},
    "logic tree": {"select": "id,title", "or": "(title.ilike.*a*,and(year.gte.1990,year.lte.2000),tags.cs.{x,y})"},
    "in + json": {"select": "id,lang:meta->>lang", "id": "in.(1,2,3,\"4\")", "meta->>lang": "eq.zh"},
}


def _cache() -> SchemaCache:
    def table(name, *cols, pk=("id",)):
        return Table("tests", name, "r", {c: Column(c, t, True, False, i) for i, (c, t) in enumerate(cols, 1)},
                     pk, [pk])
    authors = table("authors", ("id", "integer"), ("name", "text"))
    books = table("books", ("id", "integer"), ("title", "text"), ("year", "integer"), ("tags", "text[]"),
                  ("meta", "jsonb"), ("author_id", "integer"), ("editor_id", "integer"))
    covers = table("covers", ("id", "integer"), ("book_id", "integer"), ("url", "text"))
    fks = [ForeignKey("books_author_id_fkey", books.qualified, ("author_id",), authors.qualified, ("id",)),
           ForeignKey("books_editor_id_fkey", books.qualified, ("editor_id",), authors.qualified, ("id",)),
           ForeignKey("covers_book_id_fkey", covers.qualified, ("book_id",), books.qualified, ("id",))]
    return SchemaCache(("tests",), {t.qualified: t for t in (authors, books, covers)}, fks, {})


class FakeRequest:
    """What request.py reads off a Starlette request."""

    def __init__(self, params: dict[str, str]):
        from starlette.datastructures import Headers, QueryParams
        self.query_params = QueryParams(params)
        self.headers = Headers({})
        self.method = "GET"


def _load_before(ref: str, folder: Path):
    package = folder / "rest_before"
    package.mkdir()
    names = subprocess.run(["git", "ls-tree", "--name-only", f"{ref}:{REST}"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split()
    for name in names:
        if name.endswith(".py"):
            source = subprocess.run(["git", "show", f"{ref}:{REST}/{name}"], cwd=ROOT, check=True,
                                    capture_output=True, text=True).stdout
            # Its relative imports above the package (gateway/) point at the working tree's.
            (package / name).write_text(source.replace("from ..", "from backend.local_supabase."))
    sys.path.insert(0, str(folder))
    return importlib.import_module("rest_before.request"), importlib.import_module("rest_before.builder")


def before_runner(request_mod, builder_mod, cache):
    # The old path: read_plan() then Builder(cache).read(Source(...)), which resolved names while writing SQL.
    table = cache.tables[("tests", "books")]

    def run(req):
        plan = request_mod.read_plan(req)
        b = builder_mod.Builder(cache)
        return b.read(builder_mod.Source(table, table.columns, builder_mod.Builder.qualified(table)), plan,
                      count=False, single=False, strip_nulls=False)
    return run


def after_runner(cache, *, cold: bool = False):
    """`cold`: the tokenizer's cache emptied before each request, as for texts never seen before."""
    from backend.local_supabase.rest import tokens
    from backend.local_supabase.rest.builder import Builder
    from backend.local_supabase.rest.plan import Planner
    from backend.local_supabase.rest.request import query_params
    table = cache.tables[("tests", "books")]
    planner = Planner(cache)

    def run(req):
        if cold:
            tokens.clear_cache()
        plan = planner.read(table, query_params(req))
        return Builder().read(plan, Builder.qualified(table))
    return run


def _time(run, req, iterations: int) -> float:
    gc.collect()  # each side starts without the other's garbage
    start = time.process_time()  # CPU time of this process: waiting for a shared core does not count
    for _ in range(iterations):
        run(req)
    return (time.process_time() - start) / iterations * 1e6


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", default="main", help="git ref of the code to compare with")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--iterations", type=int, default=2000)
    args = ap.parse_args()
    cache = _cache()
    with tempfile.TemporaryDirectory() as folder:
        before = before_runner(*_load_before(args.before, Path(folder)), cache)
        after, cold = after_runner(cache), after_runner(cache, cold=True)
        print(f"{'shape':<14}{'before µs':>11}{'after µs':>10}{'after/before':>14}{'cold µs':>10}{'cold/before':>13}")
        ratios, cold_ratios = [], []
        for shape, params in SHAPES.items():
            req = FakeRequest(params)
            assert before(req) == after(req), f"{shape}: the SQL differs"
            times: dict[str, list[float]] = {"before": [], "after": [], "cold": []}
            for i in range(args.rounds):
                order = [("before", before), ("after", after), ("cold", cold)]
                for side, run in order[i % 3:] + order[:i % 3]:  # none always goes first
                    times[side].append(_time(run, req, args.iterations))
            # The best round of each: on a shared machine the others measure the neighbours.
            b, a, c = (min(times[side]) for side in ("before", "after", "cold"))
            ratios.append(a / b)
            cold_ratios.append(c / b)
            print(f"{shape:<14}{b:>11.1f}{a:>10.1f}{a / b:>14.2f}{c:>10.1f}{c / b:>13.2f}")
        print(f"geometric mean after/before: {statistics.geometric_mean(ratios):.2f}, "
              f"cold/before: {statistics.geometric_mean(cold_ratios):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
