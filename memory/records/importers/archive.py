"""What an upload holds: the file itself, or the one file inside a ZIP worth importing.

Apple Health exports arrive as `export.zip` (the export is `export.xml`, `导出.xml` or `導出.xml`
by the phone's language, beside `export_cda.xml` and route files; a Mac adds `__MACOSX/._*`
entries), WeChat Pay and Alipay bills as ZIPs locked with a password the app sends separately
(WeChat Pay's with AES, read with pyzipper). The file is found by its content, never its name.

A ZIP is checked before anything is inflated: its end record (how many entries), then the chosen
member's declared size and growth (`ImportLimits`), so a zip bomb is refused at once. While the
member is read, the declared size holds (the zip reader never gives more, and a wrong checksum at
the end is an error). The password only opens the archive: it is never stored nor logged.
"""

from __future__ import annotations

import io
import struct
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Literal

import pyzipper

from memory.records.importers.base import (
    ImportFormatError,
    Message,
    PasswordRequiredError,
    too_large,
)
from memory.records.importers.limits import ImportLimits

Kind = Literal["health_xml", "xlsx", "text"]
HEAD_BYTES = 64 * 1024
MAX_CANDIDATES = 50
"""Members whose first bytes are looked at (route files and ECGs are skipped by extension)."""
SKIPPED_EXTENSIONS = (".gpx", ".pdf", ".png", ".jpg", ".jpeg", ".heic", ".dcm")
SPOOL_BYTES = 8 * 1024 * 1024
SMALL_BYTES = 1 << 20
"""Members up to this size are never refused for their growth (a short CSV of spaces is fine)."""


@dataclass
class Upload:
    """The file to import: its bytes, size (None if unknown), name and what it looks like."""

    stream: IO[bytes]
    size: int | None
    name: str
    kind: Kind
    head: bytes
    """Its first bytes (up to 64 KiB), for detection."""
    app_hint: str | None = None
    """The app the archive's file names suggest, when its content cannot be read."""


def classify(head: bytes) -> Kind:
    """What the first bytes of a file say it is."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if b"<HealthData" in head or b"<!DOCTYPE HealthData" in head:
        return "health_xml"
    return "text"


def is_xlsx(names: list[str]) -> bool:
    """An Office Open XML workbook is itself a ZIP with these parts."""
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


def _entries(stream: IO[bytes]) -> int | None:
    """The number of entries the ZIP's end record declares, before its directory is read."""
    end = stream.seek(0, io.SEEK_END)
    tail_start = max(0, end - 65_557)
    stream.seek(tail_start)
    tail = stream.read()
    stream.seek(0)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return None
    count: int = struct.unpack_from("<H", tail, at + 10)[0]
    locator = at - 20
    if count == 0xFFFF and locator >= 0 and tail[locator : locator + 4] == b"PK\x06\x07":
        (offset,) = struct.unpack_from("<Q", tail, locator + 8)
        stream.seek(offset)
        record = stream.read(56)
        stream.seek(0)
        if record[:4] == b"PK\x06\x06" and len(record) == 56:
            (count,) = struct.unpack_from("<Q", record, 32)
    return count


def _name(info: zipfile.ZipInfo) -> str:
    """The member's name; without the UTF-8 flag, Chinese tools write GBK, read here as cp437."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def _app_from_names(names: list[str]) -> str | None:
    joined = " ".join(names).lower()
    if "微信" in joined or "wechat" in joined:
        return "wechat_pay"
    if "支付宝" in joined or "alipay" in joined:
        return "alipay"
    if "apple_health_export" in joined or "export.xml" in joined or "导出.xml" in joined:
        return "apple_health"
    return None


def check_growth(info: zipfile.ZipInfo, limits: ImportLimits, cap: int, app: str | None) -> None:
    """Refuse a member whose declared size or growth passes the limits (nothing inflated)."""
    if info.file_size > cap:
        raise too_large(cap, app)
    packed = max(info.compress_size, 1)
    if info.file_size > SMALL_BYTES and info.file_size / packed > limits.max_unpack_ratio:
        raise ImportFormatError(
            Message(
                f"one of its files grows {info.file_size / packed:,.0f} times when unpacked, "
                f"more than the {limits.max_unpack_ratio} times real exports reach "
                "(MEMADVISOR_IMPORT_MAX_UNPACK_RATIO): it looks like a zip bomb, and nothing "
                "was unpacked",
                f"其中一个文件解压后膨胀 {info.file_size / packed:,.0f} 倍，超过真实导出文件的 "
                f"{limits.max_unpack_ratio} 倍（MEMADVISOR_IMPORT_MAX_UNPACK_RATIO）；"
                "它像是一个“压缩炸弹”，未解压任何内容",
            ),
            app=app,
        )


def _password_error(app: str | None, password: bytes | None) -> PasswordRequiredError:
    if password:
        message = Message(
            "the password does not open the ZIP; type the password the app sent you again",
            "密码无法打开这个 ZIP 文件；请重新输入 App 发给你的解压密码",
        )
    else:
        message = Message(
            "the ZIP is locked with a password; type the password the app sent you (WeChat Pay "
            "and Alipay send it in a message when you export a bill) and send the file again",
            "这个 ZIP 文件有密码；请输入 App 发给你的解压密码（微信支付和支付宝在导出账单时会"
            "通过消息发送密码）后重新上传",
        )
    return PasswordRequiredError(message, app=app, wrong=bool(password))


class _Archive:
    def __init__(self, stream: IO[bytes], password: bytes | None, limits: ImportLimits) -> None:
        entries = _entries(stream)
        if entries is not None and entries > limits.max_zip_entries:
            raise ImportFormatError(
                Message(
                    f"the ZIP lists {entries:,} files, more than the {limits.max_zip_entries:,} "
                    "this server reads (MEMADVISOR_IMPORT_MAX_ZIP_ENTRIES)",
                    f"这个 ZIP 文件列出了 {entries:,} 个文件，超过本服务器读取的 "
                    f"{limits.max_zip_entries:,} 个（MEMADVISOR_IMPORT_MAX_ZIP_ENTRIES）",
                )
            )
        try:
            self.zip = pyzipper.AESZipFile(stream)
        except (zipfile.BadZipFile, pyzipper.BadZipFile, EOFError, ValueError) as exc:
            raise ImportFormatError(
                Message("the ZIP file is damaged", "ZIP 文件已损坏"), app=None
            ) from exc
        self.password = password
        self.limits = limits
        self.members = [info for info in self.zip.infolist() if not info.is_dir()]
        self.names = [_name(info) for info in self.members]
        self.hint = _app_from_names(self.names)

    def open(self, info: zipfile.ZipInfo) -> IO[bytes]:
        try:
            return self.zip.open(info, pwd=self.password)  # type: ignore[no-any-return]
        except RuntimeError as exc:  # pyzipper: encrypted, no or a wrong password
            raise _password_error(self.hint, self.password) from exc
        except (zipfile.BadZipFile, pyzipper.BadZipFile, NotImplementedError, ValueError) as exc:
            raise ImportFormatError(
                Message(
                    "a file in the ZIP cannot be unpacked (damaged, or packed in a way "
                    "this server cannot read)",
                    "ZIP 中的文件无法解压（已损坏，或压缩方式无法读取）",
                ),
                app=self.hint,
            ) from exc

    def candidates(self) -> Iterator[tuple[zipfile.ZipInfo, str]]:
        for info, name in zip(self.members, self.names, strict=True):
            base = name.rsplit("/", 1)[-1]
            if name.startswith("__MACOSX/") or base.startswith("._") or not base:
                continue
            if base.lower().endswith(SKIPPED_EXTENSIONS):
                continue
            yield info, name

    def head(self, info: zipfile.ZipInfo) -> bytes:
        with self.open(info) as member:
            try:
                return member.read(HEAD_BYTES)
            except RuntimeError as exc:
                raise _password_error(self.hint, self.password) from exc
            except (zipfile.BadZipFile, pyzipper.BadZipFile, EOFError, OSError) as exc:
                raise _damaged(self.hint) from exc

    def pick(self) -> tuple[zipfile.ZipInfo, str, bytes]:
        """The member to import: an Apple Health export first, then a bill or records file."""
        found: list[tuple[int, zipfile.ZipInfo, str, bytes]] = []
        for looked, (info, name) in enumerate(self.candidates()):
            if looked >= MAX_CANDIDATES:
                break
            head = self.head(info)
            kind = classify(head)
            rank = 0 if kind == "health_xml" else 1 if kind == "xlsx" or _billish(head) else 2
            if kind == "health_xml" or name.lower().endswith((".xlsx", ".csv", ".json")):
                found.append((rank, info, name, head))
        if not found:
            raise ImportFormatError(
                Message(
                    "the ZIP holds no file MemAdvisor reads: an Apple Health export "
                    "(export.xml), an Alipay or WeChat Pay bill (.csv or .xlsx), or a "
                    "records file (.csv or .json)",
                    "这个 ZIP 中没有 MemAdvisor 能读取的文件：Apple 健康导出文件（export.xml）、"
                    "支付宝或微信支付账单（.csv 或 .xlsx）或记录文件（.csv 或 .json）",
                ),
                app=None,
            )
        _, info, name, head = min(found, key=lambda item: item[0])
        return info, name, head


def _billish(head: bytes) -> bool:
    for encoding in ("utf-8", "gb18030"):
        text = head.decode(encoding, errors="ignore")
        if "交易时间" in text or "微信支付" in text or "支付宝" in text:
            return True
    return False


def _damaged(app: str | None) -> ImportFormatError:
    return ImportFormatError(
        Message(
            "the ZIP is damaged (a file in it does not match its checksum or size)",
            "ZIP 文件已损坏（其中的文件与校验值或大小不符）",
        ),
        app=app,
    )


class _Checked(io.RawIOBase):
    """A zip member read to its end, damage (a bad checksum) turned into a clear error."""

    def __init__(self, member: IO[bytes], app: str | None) -> None:
        self._member = member
        self._app = app

    def readable(self) -> bool:
        """Always: it is a reader."""
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        """Read into `buffer`."""
        try:
            data = self._member.read(len(buffer))
        except (zipfile.BadZipFile, pyzipper.BadZipFile, EOFError, OSError) as exc:
            raise _damaged(self._app) from exc
        buffer[: len(data)] = data
        return len(data)


@contextmanager
def open_upload(
    stream: IO[bytes], filename: str, *, password: bytes | None, limits: ImportLimits
) -> Iterator[Upload]:
    """The file to import from an upload (a ZIP is opened, its file found by content)."""
    start = stream.tell()
    head = stream.read(HEAD_BYTES)
    stream.seek(start)
    if not head.startswith(b"PK\x03\x04") and not head.startswith(b"PK\x05\x06"):
        end = stream.seek(0, io.SEEK_END)
        stream.seek(start)
        yield Upload(stream, end - start, filename, classify(head), head)
        return
    archive = _Archive(stream, password, limits)
    if is_xlsx(archive.names):
        stream.seek(start)
        yield Upload(stream, None, filename, "xlsx", head)
        return
    info, name, member_head = archive.pick()
    kind = classify(member_head)
    app = "apple_health" if kind == "health_xml" else archive.hint
    cap = limits.max_unpacked_bytes if kind == "health_xml" else limits.max_sheet_bytes
    check_growth(info, limits, cap, app)
    with archive.open(info) as member:
        checked = io.BufferedReader(_Checked(member, app), buffer_size=1 << 18)
        if kind == "health_xml":
            yield Upload(checked, info.file_size, name, kind, member_head, app)
            return
        # A bill or records file is small and read twice (its head, then the rows): keep a copy.
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as copy:
            while block := checked.read(1 << 18):
                copy.write(block)
            copy.seek(0)
            yield Upload(copy, info.file_size, name, kind, member_head, app)
