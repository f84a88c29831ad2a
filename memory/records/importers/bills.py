"""Alipay and WeChat Pay bill exports: transactions summed per month and category.

Both apps export a CSV with lines of account information before the header (the "preamble"),
Alipay in GBK and WeChat in UTF-8 with a BOM; both are accepted in either encoding. Layouts, as the
apps write them (found by the header's first cells):
- Alipay (支付宝): `交易时间,交易分类,交易对方,对方账号,商品说明,收/支,金额,
  收/付款方式,交易状态,交易订单号,...`; the older layout `交易号,商家订单号,
  交易创建时间,付款时间,...,类型,交易对方,商品名称,金额（元）,收/支,交易状态,...`
  is read too (it has no categories).
- WeChat Pay (微信支付): `交易时间,交易类型,交易对方,商品,收/支,金额(元),
  支付方式,当前状态,交易单号,商户单号,备注`, amounts like `¥12.50`.
Rows count when they are income (收入) or expenses (支出) and the transaction went through; neutral
rows (不计收支, `/`: moving money between one's own accounts), closed or fully refunded ones are
counted in the notes. Times are Beijing time. Each (month, income or expenses, category) becomes one
finance record in CNY, dated the 1st of the month at 12:00 UTC, with the number of transactions
in its note. Categories map onto `memory.records.datatypes.EXPENSE_CATEGORIES`; unknown ones become
`other` (and are named in the notes).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from memory.records.importers.base import ImportFormatError, ParsedImport, Progress
from memory.records.importers.text import csv_rows, open_text

BEIJING = timezone(timedelta(hours=8))
PREAMBLE_LINES = 60
"""The header must appear within this many lines."""

ALIPAY_CATEGORIES = {
    "餐饮美食": "food",
    "日用百货": "groceries",
    "服饰装扮": "shopping",
    "家居家装": "shopping",
    "数码电器": "shopping",
    "运动户外": "shopping",
    "美容美发": "shopping",
    "母婴亲子": "family",
    "宠物": "family",
    "亲友代付": "family",
    "交通出行": "transport",
    "爱车养车": "transport",
    "住房物业": "housing",
    "酒店旅游": "travel",
    "文化休闲": "entertainment",
    "教育培训": "education",
    "医疗健康": "health",
    "充值缴费": "utilities",
    "公共服务": "utilities",
    "通讯物流": "communication",
    "保险": "insurance",
    "互助保障": "insurance",
    "公益捐赠": "gifts",
    "转账红包": "transfer",
    "账户存取": "transfer",
    "信用借还": "transfer",
    "投资理财": "investment",
    "退款": "refund",
    "收入": "salary",
    "生活服务": "other",
    "商业服务": "other",
    "其他": "other",
}
WECHAT_TYPES = {
    "商户消费": "shopping",
    "扫二维码付款": "other",
    "转账": "transfer",
    "微信红包": "transfer",
    "群收款": "transfer",
    "二维码收款": "other",
    "亲属卡交易": "family",
    "信用卡还款": "transfer",
}
COUNTED_STATUS = (
    "成功",
    "已支付",
    "已收钱",
    "已存入零钱",
    "已转账",
    "等待确认收货",
    "已收货",
    "对方已收钱",
)
"""A status with one of these in it means the money moved."""
DIRECTIONS = {"支出": "expenses", "收入": "income"}


def detect_bill(head: str) -> str | None:
    """`alipay`, `wechat_pay`, or None, from the first lines of the file."""
    if "微信支付" in head or "交易时间,交易类型,交易对方,商品" in head:
        return "wechat_pay"
    if "支付宝" in head or "交易时间,交易分类,交易对方" in head or "交易号,商家订单号" in head:
        return "alipay"
    return None


def parse_bill(stream: IO[bytes], source: str, progress: Progress | None = None) -> ParsedImport:
    """Read an Alipay or WeChat Pay bill (`source`); see the module docstring."""
    rows = csv_rows(open_text(stream, progress))
    header: list[str] | None = None
    line = 0
    for cells in rows:
        line += 1
        names = [cell.strip() for cell in cells]
        if "收/支" in names and any(name.startswith("交易") for name in names[:3]):
            header = names
            break
        if line >= PREAMBLE_LINES:
            break
    if header is None:
        app = "Alipay 支付宝" if source == "alipay" else "WeChat Pay 微信支付"
        raise ImportFormatError(
            f"no header row with 交易时间 and 收/支 in the first {PREAMBLE_LINES} lines: is this "
            f"a {app} bill exported as CSV?"
        )
    columns = _columns(header, source)
    parsed = ParsedImport(format=source)
    totals: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    counts: Counter[tuple[str, str, str]] = Counter()
    first_row: dict[tuple[str, str, str], int] = {}
    skipped: Counter[str] = Counter()
    unknown_categories: Counter[str] = Counter()
    number = 0
    for cells in rows:
        line += 1
        if not any(cell.strip() for cell in cells) or cells[0].startswith("---"):
            continue  # blank lines and the closing rule of the table
        number += 1
        row = {role: cells[i].strip() if i < len(cells) else "" for role, i in columns.items()}
        problem, entry = _read_row(row, source)
        if problem:
            parsed.reject(number, [f"line {line}: {problem}"])
            continue
        if entry is None:
            continue
        if isinstance(entry, str):
            skipped[entry] += 1
            continue
        when, direction, amount, category, raw_category = entry
        if (
            category == "other"
            and raw_category
            and raw_category not in ("其他", "生活服务", "商业服务", "扫二维码付款", "二维码收款")
        ):
            unknown_categories[raw_category] += 1
        key = (f"{when:%Y-%m}", direction, category)
        totals[key] += amount
        counts[key] += 1
        first_row.setdefault(key, number)
    unknown = [name for name in header if name and name not in KNOWN_COLUMNS]
    if unknown:
        parsed.notes.append(f"columns not imported (unknown): {', '.join(unknown)}")
    for reason, n in skipped.most_common():
        parsed.notes.append(f"not counted: {reason} ({n} rows)")
    for name, n in unknown_categories.most_common():
        parsed.notes.append(f"category {name} counted as other ({n} rows)")
    app_names = ("支付宝", "Alipay") if source == "alipay" else ("微信支付", "WeChat Pay")
    for (month, direction, category), total in sorted(totals.items()):
        year, month_number = (int(part) for part in month.split("-"))
        dated = datetime(year, month_number, 1, 12, tzinfo=UTC)
        n = counts[(month, direction, category)]
        plural = "transactions" if n > 1 else "transaction"
        data: dict[str, Any] = {
            direction: float(total),
            "category": category,
            "currency": "CNY",
            "period": "month",
            "source": source,
            "note": f"{app_names[0]} {n} 笔 / {app_names[1]}: {n} {plural}",
        }
        parsed.add(first_row[(month, direction, category)], "finance", data, recorded_at=dated)
    return parsed


KNOWN_COLUMNS = {
    # Alipay, current and older layouts
    "交易时间",
    "交易分类",
    "交易对方",
    "对方账号",
    "商品说明",
    "收/支",
    "金额",
    "收/付款方式",
    "交易状态",
    "交易订单号",
    "商家订单号",
    "备注",
    "交易号",
    "交易创建时间",
    "付款时间",
    "最近修改时间",
    "交易来源地",
    "类型",
    "商品名称",
    "金额（元）",
    "服务费（元）",
    "成功退款（元）",
    "资金状态",
    # WeChat Pay
    "交易类型",
    "商品",
    "金额(元)",
    "支付方式",
    "当前状态",
    "交易单号",
    "商户单号",
}
"""The columns of the apps' layouts: only others are reported as unknown."""

_ALIPAY_COLUMNS = {
    "time": ("交易时间", "交易创建时间", "付款时间"),
    "category": ("交易分类",),
    "direction": ("收/支",),
    "amount": ("金额", "金额（元）", "金额(元)"),
    "status": ("交易状态",),
    "kind": ("类型",),
}
_WECHAT_COLUMNS = {
    "time": ("交易时间",),
    "kind": ("交易类型",),
    "direction": ("收/支",),
    "amount": ("金额(元)", "金额（元）", "金额"),
    "status": ("当前状态",),
}


def _columns(header: list[str], source: str) -> dict[str, int]:
    wanted = _ALIPAY_COLUMNS if source == "alipay" else _WECHAT_COLUMNS
    found: dict[str, int] = {}
    for role, names in wanted.items():
        for name in names:
            if name in header:
                found[role] = header.index(name)
                break
    missing = [
        names[0]
        for role, names in wanted.items()
        if role in ("time", "direction", "amount") and role not in found
    ]
    if missing:
        raise ImportFormatError(f"the bill has no {', '.join(missing)} column")
    return found


def _read_row(row: dict[str, str], source: str) -> tuple[str | None, Any]:
    """(problem, None) for a bad row; (None, reason) for a skipped one; else the transaction."""

    def get(role: str) -> str:
        return row.get(role, "")

    direction = DIRECTIONS.get(get("direction"))
    status = get("status")
    if direction is None:
        return None, f"收/支 {get('direction') or '/'} (neither income nor expenses)"
    if status and ("全额退款" in status or not any(word in status for word in COUNTED_STATUS)):
        return None, f"status {status}"
    try:
        when = datetime.strptime(get("time").replace("/", "-")[:19], "%Y-%m-%d %H:%M:%S")
    except ValueError:
        try:
            when = datetime.strptime(get("time").replace("/", "-")[:16], "%Y-%m-%d %H:%M")
        except ValueError:
            return f"交易时间 {get('time')!r} is not a time like 2026-11-20 08:30:00", None
    try:
        amount = Decimal(get("amount").replace("¥", "").replace("￥", "").replace(",", ""))
    except InvalidOperation:
        return f"金额 {get('amount')!r} is not an amount", None
    if not amount.is_finite() or amount < 0 or amount > Decimal("1e10"):
        return f"金额 {get('amount')!r} is not an amount", None
    when = when.replace(tzinfo=BEIJING)
    if source == "alipay":
        raw = get("category")
        category = ALIPAY_CATEGORIES.get(raw, "other") if raw else "other"
    else:
        raw = get("kind")
        category = "refund" if "退款" in raw else WECHAT_TYPES.get(raw, "other")
    return None, (when, direction, amount, category, raw)
