"""Campaign packs: contents read back with zipfile, safe names, caps, aborts, ZIP64."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from assets_hub.social.packs import (
    TEXT_FILES,
    ByteSource,
    PackAborted,
    PackEntry,
    PackFile,
    PackImage,
    PackLimits,
    PackPost,
    PackTooLarge,
    build_campaign_pack,
    bytes_source,
    plan_pack,
    stream_pack,
)
from assets_hub.social.zipwriter import EntryRecord, central_header, end_records

NOW = datetime(2026, 10, 5, 9, 30, tzinfo=UTC)


@dataclass
class Sources:
    """Byte sources that record when they are opened and closed."""

    opened: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)

    def make(self, label: str, data: bytes, *, fail_after: int | None = None) -> ByteSource:
        async def chunks() -> AsyncIterator[bytes]:
            self.opened.append(label)
            try:
                for i in range(0, len(data), 1000):
                    if fail_after is not None and i >= fail_after:
                        raise OSError("storage went away")
                    yield data[i : i + 1000]
            finally:
                self.closed.append(label)

        return chunks


def payload(seed: int, size: int = 5000) -> bytes:
    return bytes((seed * 31 + i) % 251 for i in range(size))


async def collect(stream: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in stream])


def read(data: bytes) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    return archive


def campaign(sources: Sources) -> tuple[list[PackPost], list[PackImage]]:
    poster = PackImage(
        "Libraries Week poster",
        [
            PackFile("instagram-square", "jpg", sources.make("p-sq", payload(1)), 5000),
            PackFile("story", "jpg", sources.make("p-story", payload(2)), 5000),
        ],
        alt_text="A child reading in Anytown Library's new reading corner",
        credit="Photo: Jane Doe, CC BY 4.0",
    )
    border = PackImage(
        "Border", [PackFile("x-post", "png", sources.make("border", payload(3)))], decorative=True
    )
    post = PackPost(
        "Libraries Week launch",
        {"X": "Pop into Anytown Library this #LibrariesWeek", "Bluesky": "Pop in! 📚"},
        [poster, border],
    )
    extra = PackImage(
        "../../etc/passwd",
        [PackFile("instagram-square", "jpg", sources.make("hostile", payload(4)), 5000)],
        alt_text="Bookmarks",
    )
    return [post], [extra]


async def test_pack_contents_round_trip() -> None:
    sources = Sources()
    posts, assets = campaign(sources)
    plan = build_campaign_pack(
        "Libraries Week 2026", "Anytown Library", posts=posts, assets=assets, now=NOW
    )
    archive = read(await collect(stream_pack(plan)))
    assert archive.namelist() == [
        *TEXT_FILES,
        "instagram-square/Libraries Week poster.jpg",
        "story/Libraries Week poster.jpg",
        "x-post/Border.png",
        "instagram-square/_._etc_passwd.jpg",
    ]
    assert archive.read("instagram-square/Libraries Week poster.jpg") == payload(1)
    assert archive.read("x-post/Border.png") == payload(3)
    assert archive.read("instagram-square/_._etc_passwd.jpg") == payload(4)
    readme = archive.read("README.txt").decode()
    assert "Libraries Week 2026: campaign pack for Anytown Library" in readme
    assert "Made 05 October 2026 at 09:30 UTC." in readme
    for name in archive.namelist()[len(TEXT_FILES) :]:
        assert f"  {name}" in readme
    captions = archive.read("captions.txt").decode()
    assert "[X]\nPop into Anytown Library this #LibrariesWeek" in captions
    assert "[Bluesky]\nPop in! 📚" in captions
    alt = archive.read("alt-text.txt").decode()
    assert "A child reading in Anytown Library's new reading corner" in alt
    assert "x-post/Border.png\nDecorative: no alt text needed" in alt
    credits = archive.read("credits.txt").decode()
    assert "story/Libraries Week poster.jpg\nCredit: Photo: Jane Doe, CC BY 4.0" in credits
    info = archive.getinfo("story/Libraries Week poster.jpg")
    assert info.date_time == (2026, 10, 5, 9, 30, 0)
    assert info.flag_bits & 0x800  # UTF-8 names
    assert sources.opened == sources.closed == ["p-sq", "p-story", "border", "hostile"]


async def test_pack_streams_lazily_one_source_at_a_time() -> None:
    sources = Sources()
    posts, assets = campaign(sources)
    plan = build_campaign_pack("C", "L", posts=posts, assets=assets, now=NOW)
    assert sources.opened == []  # planning opens nothing
    stream = stream_pack(plan)
    seen = 0
    async for chunk in stream:
        seen += len(chunk)
        if sources.opened:
            break
    assert sources.opened == ["p-sq"]
    assert seen < 6000  # the text files and the first header, not the whole archive
    await stream.aclose()
    assert sources.closed == ["p-sq"]  # a client going away closes the open source


async def test_hostile_and_duplicate_titles_in_a_pack() -> None:
    titles = ["../../etc/passwd", "CON", "a\\b", "📚 Books 📚", "z" * 300, "Dup", "dup", "Dup"]
    entries = [PackEntry(t, "jpg", bytes_source(t.encode()), len(t.encode())) for t in titles]
    archive = read(await collect(stream_pack(plan_pack(entries, now=NOW))))
    names = archive.namelist()
    assert names[:4] == ["_._etc_passwd.jpg", "CON_.jpg", "a_b.jpg", "📚 Books 📚.jpg"]
    assert len(names[4].encode()) == 255
    assert names[5:] == ["Dup.jpg", "dup-2.jpg", "Dup-3.jpg"]
    assert [archive.read(n) for n in names] == [t.encode() for t in titles]


async def test_archive_size_is_exact_when_sizes_are_declared() -> None:
    sources = Sources()
    posts, assets = campaign(sources)
    # The decorative border has no declared size: no Content-Length possible.
    assert build_campaign_pack("C", "L", posts=posts, assets=assets).archive_size is None
    entries = [
        PackEntry(f"e{i}", "bin", bytes_source(payload(i, 100 * i)), 100 * i) for i in range(5)
    ]
    plan = plan_pack(entries)
    assert plan.archive_size == len(await collect(stream_pack(plan)))
    assert plan.declared_bytes == 1000


async def test_too_many_entries_is_refused_before_anything_is_opened() -> None:
    sources = Sources()
    posts, assets = campaign(sources)
    with pytest.raises(PackTooLarge, match="8 entries, over the limit of 7") as caught:
        build_campaign_pack("C", "L", posts=posts, assets=assets, limits=PackLimits(max_entries=7))
    assert (caught.value.what, caught.value.limit, caught.value.actual) == ("entries", 7, 8)
    entries = (PackEntry(str(i), "jpg", bytes_source(b"")) for i in range(10**9))
    with pytest.raises(PackTooLarge, match="entries"):  # stops counting at the cap
        plan_pack(entries, limits=PackLimits(max_entries=100))
    assert sources.opened == []


async def test_too_many_declared_bytes_is_refused_before_streaming() -> None:
    entries = [PackEntry(str(i), "jpg", bytes_source(b"x" * 600), 600) for i in range(2)]
    with pytest.raises(PackTooLarge, match="1200 bytes, over the limit of 1000"):
        plan_pack(entries, limits=PackLimits(max_total_bytes=1000))
    with pytest.raises(PackTooLarge, match="bytes in one entry"):
        plan_pack(entries, limits=PackLimits(max_entry_bytes=500))


async def test_undeclared_bytes_over_the_cap_abort_the_stream() -> None:
    sources = Sources()
    entries = [
        PackEntry("one", "jpg", sources.make("one", b"a" * 3000)),
        PackEntry("two", "jpg", sources.make("two", b"b" * 3000)),
    ]
    plan = plan_pack(entries, limits=PackLimits(max_total_bytes=5000))
    received: list[bytes] = []
    with pytest.raises(PackAborted, match=r"'two\.jpg' went over the pack's byte cap"):
        async for chunk in stream_pack(plan):
            received.append(chunk)
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(b"".join(received)))  # never a silently short zip
    assert sources.closed == ["one", "two"]


async def test_failing_source_aborts_and_is_closed() -> None:
    sources = Sources()
    entries = [PackEntry("bad", "jpg", sources.make("bad", payload(1), fail_after=2000))]
    with pytest.raises(PackAborted, match=r"'bad\.jpg' failed: storage went away"):
        await collect(stream_pack(plan_pack(entries)))
    assert sources.closed == ["bad"]


@pytest.mark.parametrize(("declared", "problem"), [(100, "larger"), (9000, "smaller")])
async def test_size_differing_from_its_declaration_aborts(declared: int, problem: str) -> None:
    entries = [PackEntry("e", "jpg", bytes_source(payload(1)), declared)]
    with pytest.raises(PackAborted, match=f"{problem} than declared"):
        await collect(stream_pack(plan_pack(entries)))


async def test_deflated_entries_and_forced_zip64_read_back() -> None:
    text = ("Pop into Anytown Library this #LibrariesWeek\n" * 200).encode()
    entries = [
        PackEntry("notes", "txt", bytes_source(text), compress=True),
        PackEntry("photo", "jpg", bytes_source(payload(7))),
    ]
    for force in (False, True):
        data = await collect(stream_pack(plan_pack(entries, now=NOW), force_zip64=force))
        archive = read(data)
        assert archive.read("notes.txt") == text and archive.read("photo.jpg") == payload(7)
        info = archive.getinfo("notes.txt")
        assert info.compress_type == zipfile.ZIP_DEFLATED and info.compress_size < len(text)
        assert (b"PK\x06\x06" in data) is force  # ZIP64 end of central directory record


async def test_entry_that_might_reach_4_gib_gets_a_zip64_header() -> None:
    limits = PackLimits(max_entry_bytes=5 * 1024**3, max_total_bytes=6 * 1024**3)
    plan = plan_pack([PackEntry("big", "bin", bytes_source(b"small really"))], limits=limits)
    assert plan.entries[0].zip64
    data = await collect(stream_pack(plan))
    assert data[4:6] == struct.pack("<H", 45)  # version needed: ZIP64
    assert read(data).read("big.bin") == b"small really"


def test_more_than_65534_entries_use_the_zip64_end_record() -> None:
    # Streaming 65,535 real entries takes seconds; the layout is what matters here, and the
    # forced-ZIP64 round trip above shows zipfile reads these records.
    plain = end_records(65_534, 1000, 100, zip64=False)
    assert plain[:4] == b"PK\x05\x06" and struct.unpack_from("<H", plain, 10) == (65_534,)
    big = end_records(70_000, 1000, 100, zip64=False)
    assert big[:4] == b"PK\x06\x06"
    (entries,) = struct.unpack_from("<Q", big, 32)
    assert entries == 70_000
    locator = big[56:76]
    assert locator[:4] == b"PK\x06\x07" and struct.unpack_from("<Q", locator, 8) == (1100,)
    assert struct.unpack_from("<H", big, 76 + 10) == (0xFFFF,)


def test_central_header_moves_large_offsets_into_the_zip64_extra() -> None:
    record = EntryRecord(b"a.jpg", 0, 0, 0, offset=5 * 1024**3, zip64=False, size=10, compressed=10)
    header = central_header(record)
    (offset,) = struct.unpack_from("<I", header, 42)
    assert offset == 0xFFFFFFFF
    extra_id, extra_len, big_offset = struct.unpack_from("<HHQ", header, 46 + 5)
    assert (extra_id, extra_len, big_offset) == (1, 8, 5 * 1024**3)


async def test_source_that_cannot_open_aborts() -> None:
    def broken() -> AsyncIterator[bytes]:
        raise PermissionError("rendition refused")

    with pytest.raises(PackAborted, match="rendition refused"):
        await collect(stream_pack(plan_pack([PackEntry("x", "jpg", broken)])))
