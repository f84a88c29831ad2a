"""How the Apple Health import holds up on a phone's real-sized export, and on hostile archives.

    python -m benchmarks.health_import [--records 435000] [--zip] [--out results.json]
    python -m benchmarks.health_import --heart-rates 1000000   # the 164 MiB of one sample type

Generates (in a scratch folder, nothing committed) an `export.xml` shaped like a real one: the
DTD, then step counts from an iPhone and a Watch, heart rates with their motion metadata, energy,
distance, sleep stages, weights, blood pressure correlations and workouts, about 390 bytes a
record (435,000 records make about 169 MB), and imports it through `parse_import` as the API
does. Measures the time, the records it brings, and how much the import raised the process's peak
memory (VmHWM), which must stay flat whatever the size. `--zip` imports it as `export.zip`.
`--heart-rates N` instead writes N identical-looking heart-rate samples (the 652 KiB ZIP that
expands to 164 MiB): zipped it is refused for its growth, unzipped it is read within the bounds.
Prints one JSON object on the last line (and writes it to `--out`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import tempfile
import time
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from memory.records.importers import ImportFormatError, parse_import

DTD = (Path(__file__).parent.parent / "tests" / "fixtures" / "apple_health_export.xml").read_text(
    encoding="utf-8"
)
HEADER = DTD[: DTD.index("<HealthData")] + '<HealthData locale="zh_CN">\n'
WATCH = (
    'sourceName="Apple Watch" sourceVersion="10.1" device="&lt;&lt;HKDevice: 0x28223c0f0&gt;, '
    "name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch6,2, "
    'software:10.1&gt;"'
)
PHONE = 'sourceName="iPhone" sourceVersion="17.1"'


def _peak() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} +0800"


def _record(
    out: IO[str],
    kind: str,
    source: str,
    unit: str,
    value: str,
    start: datetime,
    end: datetime,
    extra: str = "",
) -> None:
    out.write(
        f' <Record type="HKQuantityTypeIdentifier{kind}" {source} unit="{unit}" '
        f'creationDate="{_when(end)}" startDate="{_when(start)}" endDate="{_when(end)}" '
        f'value="{value}"{extra}'
    )


def write_export(path: Path, records: int, seed: int = 7) -> int:
    """An export.xml of about `records` records; returns how many were written."""
    rng = random.Random(seed)
    moment = datetime(2023, 1, 1, 7, 0)
    written = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        while written < records:
            moment += timedelta(minutes=rng.randint(3, 9))
            later = moment + timedelta(minutes=rng.randint(1, 10))
            pick = rng.random()
            if pick < 0.30:
                _record(
                    out,
                    "HeartRate",
                    WATCH,
                    "count/min",
                    str(rng.randint(55, 120)),
                    moment,
                    moment,
                    '>\n  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" '
                    'value="0"/>\n </Record>\n',
                )
            elif pick < 0.55:
                source = PHONE if rng.random() < 0.5 else WATCH
                _record(
                    out,
                    "StepCount",
                    source,
                    "count",
                    str(rng.randint(10, 900)),
                    moment,
                    later,
                    '>\n  <MetadataEntry key="HKTimeZone" value="Asia/Shanghai"/>\n </Record>\n',
                )
            elif pick < 0.75:
                _record(
                    out,
                    "ActiveEnergyBurned",
                    WATCH,
                    "kcal",
                    f"{rng.uniform(0.1, 9):.3f}",
                    moment,
                    later,
                    "/>\n",
                )
            elif pick < 0.85:
                _record(
                    out,
                    "BasalEnergyBurned",
                    WATCH,
                    "kcal",
                    f"{rng.uniform(1, 3):.3f}",
                    moment,
                    later,
                    "/>\n",
                )
            elif pick < 0.95:
                _record(
                    out,
                    "DistanceWalkingRunning",
                    PHONE,
                    "km",
                    f"{rng.uniform(0, 0.6):.4f}",
                    moment,
                    later,
                    "/>\n",
                )
            elif pick < 0.98:
                out.write(
                    f' <Record type="HKCategoryTypeIdentifierSleepAnalysis" {WATCH} '
                    f'creationDate="{_when(later)}" startDate="{_when(moment)}" '
                    f'endDate="{_when(later)}" value="HKCategoryValueSleepAnalysisAsleepCore"/>\n'
                )
            elif pick < 0.99:
                unit = rng.choice(["kg", "lb"])
                value = f"{rng.uniform(70, 74) * (2.2046 if unit == 'lb' else 1):.1f}"
                _record(out, "BodyMass", PHONE, unit, value, moment, moment, "/>\n")
            else:
                for kind, pressure in (
                    ("Systolic", rng.randint(115, 150)),
                    ("Diastolic", rng.randint(70, 95)),
                ):
                    _record(
                        out,
                        f"BloodPressure{kind}",
                        PHONE,
                        "mmHg",
                        str(pressure),
                        moment,
                        moment,
                        "/>\n",
                    )
                written += 1
            written += 1
        out.write("</HealthData>\n")
    return written


def write_heart_rates(path: Path, count: int) -> None:
    """`count` heart-rate samples, a thousand a minute (about 172 bytes each, very repetitive)."""
    start = datetime(2024, 1, 1)
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="en_US">\n')
        for i in range(count):
            when = _when(start + timedelta(minutes=i // 1000))
            out.write(
                f'<Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Watch" '
                f'unit="count/min" startDate="{when}" endDate="{when}" value="{60 + i % 40}"/>\n'
            )
        out.write("</HealthData>\n")


def measure(path: Path) -> dict[str, Any]:
    """Import `path` once: time, outcome, records and the peak memory it added."""
    before = _peak()
    started = time.perf_counter()
    try:
        with path.open("rb") as stream:
            parsed = parse_import(stream, path.name)
        outcome = "imported"
        records = len(parsed.records)
    except ImportFormatError as exc:
        outcome, records = exc.in_("en"), 0
    return {
        "file": path.name,
        "bytes": path.stat().st_size,
        "seconds": round(time.perf_counter() - started, 2),
        "records_out": records,
        "outcome": outcome[:200],
        "peak_memory_added_mb": round((_peak() - before) / 1_048_576, 1),
    }


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, generate, import, print the JSON line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--records", type=int, default=435_000)
    parser.add_argument("--heart-rates", type=int, metavar="N")
    parser.add_argument("--zip", action="store_true", help="import it as export.zip")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    import memory.records.importers.health_units  # noqa: F401  (loaded before the peak is taken)

    with tempfile.TemporaryDirectory(prefix="memadvisor-health-") as scratch:
        xml = Path(scratch) / "export.xml"
        if args.heart_rates:
            write_heart_rates(xml, args.heart_rates)
            generated = args.heart_rates
        else:
            generated = write_export(xml, args.records)
        target = xml
        if args.zip or args.heart_rates:
            target = Path(scratch) / "export.zip"
            with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.write(xml, "apple_health_export/export.xml")
        result = {
            "benchmark": "health_import",
            "date": datetime.now().isoformat(timespec="seconds"),
            "commit": subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
            ).stdout.strip(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "records_in": generated,
            "xml_bytes": xml.stat().st_size,
            "runs": [measure(target)],
        }
        if args.heart_rates:
            result["runs"].append(measure(xml))
    line = json.dumps(result)
    if args.out:
        args.out.write_text(line + "\n", encoding="utf-8")
    print(line)


if __name__ == "__main__":
    main()
