"""Every import is bounded: zip bombs are refused before they are inflated, lying ZIP headers do
not help, and the server's memory stays well under 300 MB whatever the archive.

Peak memory is measured in a fresh interpreter (VmHWM of /proc/self/status before and after the
import), so nothing else of the test run is counted.
"""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from memory.records.importers import ImportFormatError, ImportLimits, parse_import

GIB = 1 << 30
MEASURE = """
import json, sys
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
from memory.records.importers import ImportFormatError, parse_import
import memory.records.importers.health_units
before = peak()
try:
    with open(sys.argv[1], "rb") as stream:
        parsed = parse_import(stream, sys.argv[1])
    outcome = f"imported {len(parsed.records)} records"
except ImportFormatError as exc:
    outcome = exc.in_("en")
print(json.dumps({"grew": peak() - before, "outcome": outcome}))
"""


def _peak_growth(path: Path) -> tuple[int, str]:
    """(bytes the import raised the peak memory by, its outcome), in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
        cwd=Path(__file__).parent.parent.parent,
    )
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    return measured["grew"], measured["outcome"]


def _whitespace_bomb(path: Path, spaces: int = GIB) -> None:
    """An export.xml of `spaces` spaces inside <HealthData>, deflated into about 1 MB."""
    block = b" " * (1 << 20)
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("apple_health_export/export.xml", "w", force_zip64=True) as member,
    ):
        member.write(b'<?xml version="1.0"?>\n<HealthData locale="en_US">')
        for _ in range(spaces // len(block)):
            member.write(block)
        member.write(b"</HealthData>\n")


def _lie_about_sizes(path: Path, claimed: int) -> None:
    """Rewrite the central directory so the member claims to unpack to `claimed` bytes."""
    data = bytearray(path.read_bytes())
    at = data.rfind(b"PK\x01\x02")
    extra_at = at + 46 + struct.unpack_from("<H", data, at + 28)[0]
    struct.pack_into("<I", data, at + 24, claimed)
    # A ZIP64 size in the extra field would win over the 32-bit one: point it at `claimed` too.
    extra_len = struct.unpack_from("<H", data, at + 30)[0]
    extra = extra_at
    while extra < extra_at + extra_len:
        tag, size = struct.unpack_from("<HH", data, extra)
        if tag == 1:
            struct.pack_into("<Q", data, extra + 4, claimed)
        extra += 4 + size
    path.write_bytes(bytes(data))


@pytest.mark.slow
def test_a_whitespace_zip_bomb_is_refused_before_it_is_inflated(tmp_path: Path) -> None:
    bomb = tmp_path / "export.zip"
    _whitespace_bomb(bomb)
    assert bomb.stat().st_size < 2 << 20  # about 1 MB holding 1 GiB
    grew, outcome = _peak_growth(bomb)
    assert "zip bomb" in outcome and "nothing was unpacked" in outcome
    assert grew < 300 << 20, f"peak memory grew {grew >> 20} MB"


@pytest.mark.slow
def test_a_bomb_that_lies_about_its_size_is_stopped_while_read(tmp_path: Path) -> None:
    bomb = tmp_path / "export.zip"
    _whitespace_bomb(bomb)
    _lie_about_sizes(bomb, 900_000)  # small and not suspicious: inflating starts
    grew, outcome = _peak_growth(bomb)
    # The reader stops at the size claimed, and the run of spaces passes the text limit first.
    assert "longer than 65,536 characters" in outcome or "damaged" in outcome, outcome
    assert grew < 300 << 20, f"peak memory grew {grew >> 20} MB"


def test_heart_rates_growing_hundreds_of_times_in_a_zip_are_refused_at_once() -> None:
    line = (
        b'<Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Apple Watch" '
        b'unit="count/min" startDate="2026-11-20 08:00:00 +0800" '
        b'endDate="2026-11-20 08:00:00 +0800" value="72"/>\n'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export.xml", b"<HealthData>\n" + line * 200_000)
    assert buffer.tell() < 1 << 20  # under 1 MB for about 33 MB of samples
    buffer.seek(0)
    with pytest.raises(ImportFormatError, match="zip bomb"):
        parse_import(buffer, "export.zip")


def test_a_zip_listing_too_many_files_is_refused_before_its_directory_is_read() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(120):
            archive.writestr(f"apple_health_export/workout-routes/route_{i}.gpx", b"<gpx/>")
    buffer.seek(0)
    with pytest.raises(ImportFormatError, match="lists 120 files"):
        parse_import(buffer, "export.zip", limits=ImportLimits(max_zip_entries=100))


def test_a_damaged_member_is_a_clear_error() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("export.xml", b'<HealthData locale="en">' + b"<ExportDate/>" * 10)
    data = bytearray(buffer.getvalue())
    data[data.index(b"<ExportDate/>") + 3] ^= 0xFF  # the stored bytes no longer match the CRC
    with pytest.raises(ImportFormatError) as error:
        parse_import(io.BytesIO(bytes(data)), "export.zip")
    assert "damaged" in error.value.in_("en") or "not well-formed" in error.value.in_("en")
