"""Apple Health's `export.xml` as a stream of elements, bounded, its DTD repaired.

The export starts with an internal DTD that nothing needs (every attribute is `CDATA`, none has a
default). iOS 16 wrote a malformed one that stops expat, the XML parser, before the first record,
so the DTD is dropped instead of parsed: each of its lines becomes an empty line, so errors still
point at the right line. A DTD that declares entities (billion laughs) or names an external file
(XXE) is refused, and with the DTD gone no entity can be expanded at all.

The rest goes through expat directly, with handlers instead of a tree: no element is built or kept,
so memory stays flat whatever the size, and a text, attribute or tag longer than
`max_text_chars` (a run of spaces included) is refused before it is buffered.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import IO, NoReturn
from xml.parsers import expat

from memory.records.importers.base import ImportFormatError, Message

APP = "apple_health"
ROOT = b"HealthData"
CHUNK = 1 << 18
MAX_DEPTH = 64
"""Elements nest at most this deep (an export nests four or five)."""
MAX_PROLOGUE = 1 << 20
"""The XML declaration and the DTD come before the root within this many bytes (about 10 KB)."""

_ROOT_START = re.compile(rb"<" + ROOT + rb"[\s/>]")
_FIRST_TAG = re.compile(rb"<([A-Za-z_][\w.:-]{0,60})")
_EXTERNAL_ID = re.compile(rb"<!DOCTYPE\s+[\w.:-]+\s+(SYSTEM|PUBLIC)\b")

Start = Callable[[str, dict[str, str]], None]
End = Callable[[str], None]


def _refuse(en: str, zh: str) -> NoReturn:
    raise ImportFormatError(Message(en, zh), app=APP)


def _prologue(raw: IO[bytes]) -> bytes:
    """The bytes up to and including the root's start, the DTD dropped (or a clear refusal)."""
    head = b""
    while (found := _ROOT_START.search(head)) is None and len(head) < MAX_PROLOGUE:
        chunk = raw.read(CHUNK)
        if not chunk:
            break
        head += chunk
    if not head.strip():
        _refuse("the file is empty", "文件是空的")
    if found is None:
        doctype_end = head.find(b"]>")
        tag = _FIRST_TAG.search(head, doctype_end + 2 if doctype_end >= 0 else 0)
        name = tag.group(1).decode("utf-8", "replace") if tag else "?"
        raise ImportFormatError(
            Message(
                f"this XML is not an Apple Health export (its root is <{name}>, not "
                "<HealthData>); export it again from the Health app (profile picture, "
                "Export All Health Data)",
                f"这个 XML 不是 Apple 健康的导出文件（根元素是 <{name}>，不是 <HealthData>）；"
                "请在“健康”App 中重新导出（头像 → 导出所有健康数据）",
            )
        )
    root = found.start()
    before, rest = head[:root], head[root:]
    doctype = before.find(b"<!DOCTYPE")
    if doctype >= 0:
        declarations = before[doctype:]
        if b"<!ENTITY" in declarations:
            _refuse(
                "its DTD declares entities, which are refused (an Apple Health export has none)",
                "它的 DTD 声明了实体，这是不允许的（Apple 健康的导出文件没有实体）",
            )
        if _EXTERNAL_ID.match(declarations):
            _refuse(
                "its DTD names an external file, which is refused",
                "它的 DTD 引用了外部文件，这是不允许的",
            )
        before = before[:doctype] + b"\n" * declarations.count(b"\n")
    return before + rest


class _Bounds:
    """Where the last event was and how long the current text run is, checked as expat reads."""

    def __init__(self, parser: expat.XMLParserType, max_chars: int) -> None:
        self.parser = parser
        self.max_chars = max_chars
        self.text = 0
        self.last_event = 0
        self.depth = 0

    def mark(self) -> None:
        self.text = 0
        self.last_event = self.parser.CurrentByteIndex

    def characters(self, data: str) -> None:
        self.text += len(data)
        if self.text > self.max_chars:
            self.too_long()

    def too_long(self) -> NoReturn:
        _refuse(
            f"it holds a text, tag or run of spaces longer than {self.max_chars:,} characters "
            "(MEMADVISOR_IMPORT_MAX_TEXT_CHARS); a real export has none",
            f"其中有超过 {self.max_chars:,} 个字符的文本、标签或空白"
            "（MEMADVISOR_IMPORT_MAX_TEXT_CHARS），真正的导出文件不会这样",
        )


def _entities_refused(*_: object) -> NoReturn:
    _refuse("it declares entities, which are refused", "它声明了实体，这是不允许的")


def read_health_xml(raw: IO[bytes], start: Start, end: End, *, max_text_chars: int) -> None:
    """Call `start(tag, attributes)` and `end(tag)` for every element of the export, in order.

    Raises ImportFormatError for a file that is not an Apple Health export, is not well-formed,
    declares entities or an external DTD, or holds a text longer than `max_text_chars`.
    """
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    bounds = _Bounds(parser, max_text_chars)

    def on_start(tag: str, attributes: dict[str, str]) -> None:
        bounds.mark()
        bounds.depth += 1
        if bounds.depth > MAX_DEPTH:
            _refuse(
                f"its elements nest more than {MAX_DEPTH} deep; a real export nests five",
                f"其中元素嵌套超过 {MAX_DEPTH} 层，真正的导出文件只有五层",
            )
        if attributes and max(map(len, attributes.values())) > max_text_chars:
            bounds.too_long()
        start(tag, attributes)

    def on_end(tag: str) -> None:
        bounds.mark()
        bounds.depth -= 1
        end(tag)

    parser.StartElementHandler = on_start
    parser.EndElementHandler = on_end
    parser.CharacterDataHandler = bounds.characters
    parser.EntityDeclHandler = _entities_refused
    parser.UnparsedEntityDeclHandler = _entities_refused
    parser.ExternalEntityRefHandler = _entities_refused
    # A tag or text is buffered whole by expat before any handler sees it: bound the bytes fed
    # since the last event (UTF-8 takes at most 4 bytes a character).
    max_gap = 4 * max_text_chars + 2 * CHUNK
    fed = 0
    chunk = _prologue(raw)
    try:
        while chunk:
            parser.Parse(chunk, False)
            fed += len(chunk)
            if fed - bounds.last_event > max_gap:
                bounds.too_long()
            chunk = raw.read(CHUNK)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        reason = expat.ErrorString(exc.code)
        _refuse(
            f"export.xml is not well-formed at line {exc.lineno}, column {exc.offset} ({reason}); "
            "nothing was imported. Export it again from the Health app",
            f"export.xml 第 {exc.lineno} 行第 {exc.offset} 列格式有误（{reason}），未导入任何内容；"
            "请在“健康”App 中重新导出",
        )
