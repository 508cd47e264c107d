"""Search benchmark: the embedded tantivy backend in-process and end to end through the HTTP
API, side by side with a plain SQLite FTS5 baseline, on the same generated assets.

    .venv/bin/python bench/search.py            # 100,000 assets
    .venv/bin/python bench/search.py --n 10000
    .venv/bin/python bench/search.py --no-http  # skip the end-to-end run

Generates N realistic campaign assets deterministically, builds the embedded index with
``rebuild()`` and the FTS5 baseline (both timed), then runs the same fixed mix of 1,000
queries against each and prints p50/p95/p99 latency, overall and per kind of query. Every
query carries the staff visibility filter (published, not embargoed, not expired) and asks
for 20 hits with highlights, as the search page does; "facets" queries ask all five facets.

Rows: "in-process (sync)" is ``EmbeddedSearchBackend.search_sync``; "no highlights" the same
without the Python-side marking; "await search()" the full async call through the worker
thread; "HTTP API end to end" is ``GET /api/v1/assets`` on ``create_app`` in-process (httpx
ASGITransport), opening the same index, with matching rows for every asset in a SQLite
database so each hit is hydrated as in production (anonymous public catalogue: staff
visibility at the real current time; the API asks facets kind, campaign, tags on every
request and has no audience/orientation parameters yet).

The FTS5 baseline does what plain FTS5 can: exact words and a prefix on the last word, bm25
with the same field weights, the same filters as SQL, totals by COUNT and facet counts by
GROUP BY. It has no typo tolerance, so the "typo" queries mostly find nothing there: its
latency for them is not comparable, and the printout gives the share of queries that returned
at least one hit. The load average is printed before and after: the container is shared, and
tail latencies move with it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assets_hub.search.analysis import title_sort_key
from assets_hub.search.base import (
    FACET_FIELDS,
    NEVER_EXPIRES,
    NO_EMBARGO,
    SearchDocument,
    SearchQuery,
    Visibility,
)
from assets_hub.search.embedded import EmbeddedSearchBackend
from assets_hub.search.embedded_schema import TEXT_FIELDS

NOW = 1_780_000_000
DAY = 86_400
PER_PAGE = 20
QUERIES = 1_000

CAMPAIGNS = [
    ("summer-reading", "Summer Reading Challenge"),
    ("libraries-week", "Libraries Week"),
    ("reading-well", "Reading Well"),
    ("digital-skills", "Digital Skills Month"),
    ("storytime", "Storytime and Rhymetime"),
    ("black-history", "Black History Month"),
    ("health-info", "Health Information Week"),
    ("world-book-day", "World Book Day"),
    ("local-history", "Local History Festival"),
    ("warm-spaces", "Warm Welcome Spaces"),
    ("code-club", "Code Club"),
    ("author-events", "Author Events"),
    ("poetry-day", "National Poetry Day"),
    ("carnegie", "Carnegie Medals Shadowing"),
    ("job-club", "Job Club and Careers"),
    ("silver-sunday", "Silver Sunday"),
    ("chatterbooks", "Chatterbooks"),
    ("volunteers", "Volunteer Recruitment"),
    ("green-libraries", "Green Libraries Week"),
    ("makerspace", "Makerspace Open Days"),
]
KINDS = ["image", "image", "image", "document", "document", "case_study", "logo", "social_post"]
NOUNS = (
    "poster|flyer|banner|bookmark|leaflet|certificate|sticker|logo|photo|press release|"
    "newsletter|social post|display pack|activity sheet|colouring sheet|invitation|"
    "programme|timetable|map|badge|medal|window vinyl|pull-up banner|email header|"
    "web banner|story card|bingo card"
).split("|")
ADJECTIVES = (
    "A3|A4|A5|landscape|portrait|square|large print|Welsh|bilingual|easy read|"
    "dyslexia friendly|colour|black and white|printable|editable|outdoor|family|teen|"
    "adult|under-fives|autumn|spring|winter"
).split("|")
TAGS = (
    "children|teens|adults|families|older-people|reading|poster|print|social|"
    "accessibility|welsh|health|wellbeing|digital|coding|history|heritage|poetry|authors|"
    "events|volunteering|careers|green|climate|craft|music|rhymes|storytelling|schools|"
    "outreach|mobile-library|home-library|ebooks|audiobooks|newspapers|study|exams|"
    "homework|games|lego|science|art|photography|film|languages|esol|money|benefits|"
    "housing|warmth|food|carers|dementia|autism|sensory|lgbtq|pride|refugees|veterans|"
    "brand"
).split("|")
WORDS = (
    "library libraries branch reading readers books book join free borrow members card "
    "children families young people teenagers adults community local council service event "
    "events activities session sessions weekly monthly summer winter autumn spring holiday "
    "challenge medal certificate collect stickers finish six read rewards celebrate "
    "computer computers wifi internet digital skills help support learn learning course "
    "class classes beginners coding club robots makerspace printer scanner photocopy "
    "history archive archives heritage family tree records maps newspapers photographs "
    "wellbeing health information mental self help books prescription leaflets advice "
    "author talk tickets evening launch signing poetry poems rhyme rhymes songs stories "
    "storytime babies toddlers parents carers under fives sensory quiet hour accessible "
    "large print audiobooks ebooks magazines download app online catalogue renew reserve "
    "volunteer volunteers opportunities recruitment training welcome warm space spaces "
    "tea coffee chat company older lonely friendship groups craft knitting lego games "
    "careers job jobs cv interview employment benefits money advice energy bills food "
    "green climate nature garden seeds swap repair cafe recycling planet local schools "
    "homework study exams revision quiet space desks tables opening hours closed open "
    "display window poster print colour editable template logo brand guidelines partner "
    "partners funding arts council national campaign share social media caption hashtag"
).split()
AUDIENCES = ["children", "young people", "adults", "families", "older people", "carers"]
LANGUAGES = ["en"] * 8 + ["cy", "pl"]
ORIENTATIONS = ["landscape", "portrait", "square"]
CREDITS = [
    "Photo: Sam Okafor",
    "Illustration: Ada Quill",
    "The Reading Agency",
    "Libraries Connected",
]


@dataclass
class Mix:
    """One benchmark query: the SearchQuery plus what the FTS5 baseline needs."""

    kind: str
    query: SearchQuery
    target: str = ""  # the asset the query was drawn from


@dataclass
class Timings:
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    found: dict[str, list[bool]] = field(default_factory=dict)

    def add(self, kind: str, seconds: float, found: bool) -> None:
        self.by_kind.setdefault(kind, []).append(seconds)
        self.found.setdefault(kind, []).append(found)

    def all(self) -> list[float]:
        return [t for ts in self.by_kind.values() for t in ts]


def generate(n: int, seed: int = 20261128) -> list[SearchDocument]:
    """N assets, the same for the same n and seed."""
    rng = random.Random(seed)
    docs: list[SearchDocument] = []
    for i in range(n):
        slug, name = rng.choice(CAMPAIGNS)
        noun = rng.choice(NOUNS)
        title = f"{name} {noun}"
        if rng.random() < 0.6:
            title += f" {rng.choice(ADJECTIVES)}"
        if rng.random() < 0.3:
            title = f"{rng.choice(WORDS).capitalize()} {title}"
        description = " ".join(rng.choices(WORDS, k=rng.randint(12, 45))).capitalize() + "."
        kind = rng.choice(KINDS)
        body = ""
        if kind == "document" and rng.random() < 0.5:
            body = " ".join(rng.choices(WORDS, k=rng.randint(80, 300)))
        roll = rng.random()
        status, embargo, expires = "published", NO_EMBARGO, NEVER_EXPIRES
        if roll < 0.05:
            status = "draft"
        elif roll < 0.07:
            status = "withdrawn"
        elif roll < 0.10:
            embargo = NOW + rng.randint(1, 90) * DAY
        elif roll < 0.13:
            expires = NOW - rng.randint(1, 365) * DAY
        created = NOW - rng.randint(0, 5 * 365) * DAY - rng.randint(0, DAY)
        visual = kind in ("image", "logo", "social_post")
        alt_text = " ".join(rng.choices(WORDS, k=rng.randint(5, 12))) if visual else ""
        docs.append(
            SearchDocument(
                id=f"{i:08x}-0000-4000-8000-{rng.getrandbits(48):012x}",
                title=title,
                description=description,
                tags=tuple(sorted(set(rng.sample(TAGS, rng.randint(1, 5))))),
                campaign=slug,
                campaign_name=name,
                kind=kind,
                status=status,
                created_at=created,
                published_at=created if status == "published" else 0,
                embargo_until=embargo,
                expires_at=expires,
                downloads=int(rng.paretovariate(1.2) * 10),
                body=body,
                audience=tuple(sorted(set(rng.sample(AUDIENCES, rng.randint(1, 2))))),
                language=rng.choice(LANGUAGES),
                orientation=rng.choice(ORIENTATIONS) if visual else "",
                alt_text=alt_text,
                credit=rng.choice(CREDITS) if visual and rng.random() < 0.5 else "",
            )
        )
    return docs


def _misspell(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word) - 1)
    op = rng.choice(("drop", "swap", "replace"))
    if op == "drop":
        return word[:i] + word[i + 1 :]
    if op == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice("aeioustrn") + word[i + 1 :]


def query_mix(docs: Sequence[SearchDocument], seed: int = 7) -> list[Mix]:
    """1,000 queries: 1/7 each of one word, two words, prefix, typo, 1 filter, 2 filters, facets."""
    rng = random.Random(seed)
    visible = [d for d in docs if d.status == "published" and d.embargo_until == NO_EMBARGO]
    visible = [d for d in visible if d.expires_at == NEVER_EXPIRES]
    kinds = ("one word", "two words", "prefix", "typo", "1 filter", "2 filters", "facets")
    staff = Visibility(now=NOW)
    mix: list[Mix] = []
    for i in range(QUERIES):
        kind = kinds[i % len(kinds)]
        doc = rng.choice(visible)
        words = [w for w in doc.title.lower().replace("-", " ").split() if len(w) > 2]
        word = rng.choice(words)
        facets: tuple[str, ...] = ()
        kinds_f: tuple[str, ...] = ()
        tags_f: tuple[str, ...] = ()
        campaigns_f: tuple[str, ...] = ()
        if kind == "one word":
            text = word
        elif kind == "two words":
            pair = rng.sample(words, 2) if len(words) > 1 else [word, word]
            text = " ".join(pair)
        elif kind == "prefix":
            text = word[: max(3, len(word) // 2)]
        elif kind == "typo":
            long_words = [w for w in words if len(w) >= 5] or ["library"]
            text = _misspell(rng, rng.choice(long_words))
        elif kind == "1 filter":
            text, campaigns_f = word, (doc.campaign,)
        elif kind == "2 filters":
            text, kinds_f, tags_f = word, (doc.kind,), (rng.choice(doc.tags),)
        else:
            text, facets = word, FACET_FIELDS
        query = SearchQuery(
            text=text,
            kinds=kinds_f,
            campaigns=campaigns_f,
            tags=tags_f,
            visibility=staff,
            per_page=PER_PAGE,
            facets=facets,
        )
        mix.append(Mix(kind=kind, query=query, target=doc.id))
    return mix


# -- SQLite FTS5 baseline --------------------------------------------------------------------


class Fts5Baseline:
    """Plain FTS5 + bm25 with the same weights, filters in SQL, facets by GROUP BY.

    SQL text is only ever assembled from constants and ``?`` placeholders; values are bound.
    """

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.executescript(
            """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            CREATE TABLE asset (
                rowid INTEGER PRIMARY KEY, id TEXT UNIQUE, kind TEXT, campaign TEXT,
                status TEXT, embargo_until INTEGER, expires_at INTEGER, created_at INTEGER,
                downloads INTEGER, title_sort TEXT, orientation TEXT
            );
            CREATE TABLE asset_tag (asset INTEGER, tag TEXT);
            CREATE INDEX asset_tag_tag ON asset_tag (tag, asset);
            CREATE INDEX asset_tag_asset ON asset_tag (asset);
            CREATE TABLE asset_audience (asset INTEGER, audience TEXT);
            CREATE INDEX asset_audience_asset ON asset_audience (asset);
            CREATE VIRTUAL TABLE asset_fts USING fts5(
                title, tags, campaign_name, description, alt_text, credit, body,
                tokenize = 'unicode61 remove_diacritics 2'
            );
            """
        )

    def load(self, docs: Sequence[SearchDocument]) -> None:
        with self.db:
            for rowid, d in enumerate(docs, start=1):
                self.db.execute(
                    "INSERT INTO asset VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        rowid,
                        d.id,
                        d.kind,
                        d.campaign,
                        d.status,
                        d.embargo_until,
                        d.expires_at,
                        d.created_at,
                        d.downloads,
                        title_sort_key(d.title),
                        d.orientation or None,
                    ),
                )
                self.db.executemany(
                    "INSERT INTO asset_tag VALUES (?, ?)", [(rowid, t) for t in d.tags]
                )
                self.db.executemany(
                    "INSERT INTO asset_audience VALUES (?, ?)", [(rowid, a) for a in d.audience]
                )
                self.db.execute(
                    "INSERT INTO asset_fts (rowid, title, tags, campaign_name, description,"
                    " alt_text, credit, body) VALUES (?,?,?,?,?,?,?,?)",
                    (
                        rowid,
                        d.title,
                        " ".join(d.tags),
                        d.campaign_name,
                        d.description,
                        d.alt_text,
                        d.credit,
                        d.body,
                    ),
                )

    @staticmethod
    def match_expression(text: str) -> str:
        # Every word quoted (so nothing is FTS5 syntax), prefix on the last one.
        words = ["".join(ch for ch in w if ch.isalnum()) for w in text.split()]
        words = [w for w in words if w]
        if not words:
            return ""
        parts = [f'"{w}"' for w in words[:-1]] + [f'"{words[-1]}" *']
        return " AND ".join(parts)

    def search(self, query: SearchQuery) -> tuple[list[str], int, dict[str, dict[str, int]]]:
        where = ["asset_fts MATCH ?", "a.status = 'published'"]
        params: list[object] = [self.match_expression(query.text)]
        where += ["a.embargo_until <= ?", "a.expires_at > ?"]
        params += [query.visibility.now, query.visibility.now]
        for column, values in (("a.kind", query.kinds), ("a.campaign", query.campaigns)):
            if values:
                where.append(f"{column} IN ({','.join('?' * len(values))})")
                params += list(values)
        if query.tags:
            where.append(
                "a.rowid IN (SELECT asset FROM asset_tag WHERE tag IN "  # noqa: S608
                f"({','.join('?' * len(query.tags))}))"
            )
            params += list(query.tags)
        base = "FROM asset_fts JOIN asset a ON a.rowid = asset_fts.rowid WHERE " + " AND ".join(
            where
        )
        weights = ", ".join(str(b) for _f, b in TEXT_FIELDS)
        rows = self.db.execute(
            f"SELECT a.id, highlight(asset_fts, 0, '<mark>', '</mark>') {base} "
            f"ORDER BY bm25(asset_fts, {weights}) LIMIT ?",
            [*params, query.per_page],
        ).fetchall()
        (total,) = self.db.execute(f"SELECT count(*) {base}", params).fetchone()
        facets: dict[str, dict[str, int]] = {}
        for facet in query.facets:
            if facet in ("tags", "audience"):
                table, column = (
                    ("asset_tag", "tag") if facet == "tags" else ("asset_audience", "audience")
                )
                sql = (
                    f"SELECT t.{column}, count(*) FROM {table} t WHERE t.asset IN "  # noqa: S608
                    f"(SELECT a.rowid {base}) GROUP BY 1 ORDER BY 2 DESC LIMIT 100"
                )
            elif facet == "orientation":
                sql = (
                    f"SELECT a.orientation, count(*) {base} AND a.orientation IS NOT NULL "
                    "GROUP BY 1 ORDER BY 2 DESC LIMIT 100"
                )
            else:
                sql = f"SELECT a.{facet}, count(*) {base} GROUP BY 1 ORDER BY 2 DESC LIMIT 100"
            facets[facet] = dict(self.db.execute(sql, params).fetchall())
        return [r[0] for r in rows], int(total), facets


# -- running ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def run(mix: Sequence[Mix], search: Callable[[SearchQuery], list[str]]) -> Timings:
    for item in mix[:50]:  # warm caches and code paths; not measured
        search(item.query)
    timings = Timings()
    for item in mix:
        start = time.perf_counter()
        found = search(item.query)
        elapsed = time.perf_counter() - start
        timings.add(item.kind, elapsed, bool(found))
    return timings


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f}"


def report(rows: Sequence[tuple[str, Timings]]) -> None:
    print(f"\n{'engine':<34}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'mean ms':>9}")
    for name, t in rows:
        values = t.all()
        print(
            f"{name:<34}{ms(percentile(values, 50))} {ms(percentile(values, 95))} "
            f"{ms(percentile(values, 99))} {ms(statistics.fmean(values))}"
        )
    print(f"\n{'by query kind (p50 / p99 ms, % with hits)':<40}", end="")
    for name, _ in rows:
        print(f"{name[:26]:>28}", end="")
    print()
    for kind in rows[0][1].by_kind:
        print(f"  {kind:<38}", end="")
        for _name, t in rows:
            v, f = t.by_kind[kind], t.found[kind]
            cell = f"{percentile(v, 50) * 1000:.2f} / {percentile(v, 99) * 1000:.2f}"
            cell += f"  {100 * sum(f) / len(f):3.0f}%"
            print(f"{cell:>28}", end="")
        print()


# -- end to end through the HTTP API ---------------------------------------------------------


def _iso(ts: int) -> str | None:
    """A unix time as Tortoise stores a datetime in SQLite (None for our sentinels)."""
    if ts in (NO_EMBARGO, NEVER_EXPIRES):
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(sep=" ")


def fill_database(path: Path, docs: Sequence[SearchDocument]) -> None:
    """Rows matching the index (ids, revisions, visibility fields), written with plain
    executemany: the ORM would take minutes for 100k rows. Columns come from the migrated
    schema; any NOT NULL column without a default that is not set here gets a placeholder.
    """
    db = sqlite3.connect(path)
    with db:
        campaigns = {slug: i for i, (slug, _name) in enumerate(CAMPAIGNS, start=1)}
        db.executemany(
            "INSERT INTO campaign (id, slug, name, description, created_at) VALUES (?,?,?,?,?)",
            [
                (i, slug, name, "", _iso(NOW - DAY))
                for (slug, name), i in zip(CAMPAIGNS, campaigns.values(), strict=True)
            ],
        )
        tags = {tag: i for i, tag in enumerate(TAGS, start=1)}
        db.executemany(
            "INSERT INTO tag (id, name) VALUES (?, ?)", [(i, t) for t, i in tags.items()]
        )
        columns = [r[1] for r in db.execute("PRAGMA table_info(asset)")]
        required = {r[1] for r in db.execute("PRAGMA table_info(asset)") if r[3] and r[4] is None}
        rows = []
        for d in docs:
            values: dict[str, object] = {
                "id": d.id,
                "title": d.title,
                "description": d.description,
                "kind": d.kind,
                "status": d.status,
                "campaign_id": campaigns[d.campaign],
                "created_at": _iso(d.created_at),
                "updated_at": _iso(d.created_at),
                "published_at": _iso(d.published_at) if d.published_at else None,
                "embargo_until": _iso(d.embargo_until),
                "expires_at": _iso(d.expires_at),
                "download_count": d.downloads,
                "revision": d.version,
                "audience": json.dumps(list(d.audience)),
                "alt_text": d.alt_text,
                "language": d.language,
                "credit": d.credit,
                # As the expiry sweep leaves a running service: expired assets already had
                # their notices (else the app's start-up sweep issues 3,000 during the run).
                "takedown_issued_at": _iso(d.expires_at) if d.expires_at < NOW else None,
            }
            for column in required - set(values):
                values[column] = "[]" if column.endswith("channels") else ""
            rows.append(tuple(values.get(c) for c in columns))
        marks = ",".join("?" * len(columns))
        db.executemany(f"INSERT INTO asset ({','.join(columns)}) VALUES ({marks})", rows)  # noqa: S608
        db.executemany(
            "INSERT INTO asset_tag (asset_id, tag_id) VALUES (?, ?)",
            [(d.id, tags[t]) for d in docs for t in d.tags],
        )
    db.close()


async def http_timings(
    tmp: Path, index_dir: Path, docs: Sequence[SearchDocument], mix: Sequence[Mix]
) -> Timings:
    """GET /api/v1/assets for every query of the mix, app in-process (httpx ASGITransport).

    The index is the one built above; the database holds matching rows, so every hit is
    hydrated as in production. Anonymous public-catalogue access: staff visibility.
    """
    import httpx
    from asgi_lifespan import LifespanManager

    from assets_hub import db
    from assets_hub.app import create_app
    from assets_hub.settings import Settings

    database = tmp / "app.sqlite3"
    await db.migrate(f"sqlite://{database}")
    fill_database(database, docs)
    settings = Settings(
        database_url=f"sqlite://{database}",
        storage_url=f"file://{tmp / 'storage'}",
        search_url=f"embedded://{index_dir}",
        tmp_dir=str(tmp / "tmp"),
        public_catalogue=True,
    )
    app = create_app(settings)
    timings = Timings()
    async with LifespanManager(app, startup_timeout=120) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:

            async def call(item: Mix) -> bool:
                query = item.query
                params: list[tuple[str, str | int | float | bool | None]] = [
                    ("q", query.text),
                    ("per_page", query.per_page),
                ]
                params += [("kind", v) for v in query.kinds]
                params += [("campaign", v) for v in query.campaigns]
                params += [("tag", v) for v in query.tags]
                response = await http.get("/api/v1/assets", params=params)
                response.raise_for_status()
                return bool(response.json()["hits"])

            for item in mix[:50]:
                await call(item)
            for item in mix:
                started = time.perf_counter()
                found = await call(item)
                timings.add(item.kind, time.perf_counter() - started, found)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="assets to generate")
    parser.add_argument("--no-http", action="store_true", help="skip the end-to-end HTTP run")
    args = parser.parse_args()

    print(f"generating {args.n:,} assets ...", flush=True)
    docs = generate(args.n)
    mix = query_mix(docs)
    print(
        f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )

    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp_name:
        tmp = Path(tmp_name)
        index_dir = tmp / "embedded"
        backend = EmbeddedSearchBackend(index_dir)
        asyncio.run(backend.setup())
        started = time.perf_counter()
        asyncio.run(backend.rebuild(docs))
        embedded_build = time.perf_counter() - started
        size = sum(p.stat().st_size for p in index_dir.rglob("*") if p.is_file())
        print(
            f"embedded (tantivy) index build: {embedded_build:6.2f} s "
            f"(rebuild(): one commit, then swap; {size / 1e6:.0f} MB)"
        )
        fts = Fts5Baseline(tmp / "fts.sqlite3")
        started = time.perf_counter()
        fts.load(docs)
        fts_build = time.perf_counter() - started
        size = (tmp / "fts.sqlite3").stat().st_size
        print(
            f"SQLite FTS5 baseline build:     {fts_build:6.2f} s ({size / 1e6:.0f} MB)", flush=True
        )

        def embedded_search(query: SearchQuery) -> list[str]:
            return [h.id for h in backend.search_sync(query).hits]

        def embedded_bare(query: SearchQuery) -> list[str]:
            return [h.id for h in backend.search_sync(query, highlights=False).hits]

        def embedded_async(query: SearchQuery) -> list[str]:
            return [h.id for h in loop.run_until_complete(backend.search(query)).hits]

        def fts_search(query: SearchQuery) -> list[str]:
            return fts.search(query)[0]

        rows = [("embedded, in-process (sync)", run(mix, embedded_search))]
        rows.append(("embedded, no highlights", run(mix, embedded_bare)))
        loop = asyncio.new_event_loop()
        try:
            rows.append(("embedded, await search() (thread)", run(mix, embedded_async)))
            loop.run_until_complete(backend.aclose())  # the app below opens the same index
        finally:
            loop.close()
        rows.append(("SQLite FTS5 baseline", run(mix, fts_search)))
        fts.db.close()
        if not args.no_http:
            try:
                rows.append(
                    ("HTTP API end to end", asyncio.run(http_timings(tmp, index_dir, docs, mix)))
                )
            except Exception as exc:  # noqa: BLE001 - report why, keep the other rows
                print(f"\nHTTP run failed: {type(exc).__name__}: {exc}")

    print(f"\n{QUERIES:,} queries, {PER_PAGE} hits each with highlights, staff visibility filter")
    report(rows)
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")
    if not args.no_http:
        print(
            "\nHTTP: GET /api/v1/assets?q=&kind=&campaign=&tag=, anonymous public catalogue,"
            " hits hydrated from SQLite; the API asks facets kind, campaign, tags on every request."
        )


if __name__ == "__main__":
    main()
