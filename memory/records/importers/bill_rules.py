"""How Alipay and WeChat Pay write a transaction, row by row: layouts, vocabulary, refunds.

Layouts (found by the header's cells, in any order, padded or not):
- Alipay app, 2023 on: `交易时间,交易分类,交易对方,对方账号,商品说明,收/支,金额,
  收/付款方式,交易状态,交易订单号,商家订单号,备注,` (GBK, about 24 lines of account
  details and 特别提示 before it).
- Alipay app, 2021: `收/支,交易对方,对方账号,商品说明,收/付款方式,金额,交易状态,
  交易分类,交易订单号,商家订单号,交易时间,` with the account summary after the rows;
  `其他` marks neutral rows.
- Alipay web (older): `交易号,商家订单号,交易创建时间,付款时间,最近修改时间,交易来源地,
  类型,交易对方,商品名称,金额（元）,收/支,交易状态,服务费（元）,成功退款（元）,备注,
  资金状态,` between 支付宝交易记录明细查询 and a trailer (共N笔记录, 已收入, 已支出,
  导出时间 and the user); no categories.
- WeChat Pay (CSV, and `.xlsx` since mid-2025): `交易时间,交易类型,交易对方,商品,收/支,
  金额(元),支付方式,当前状态,交易单号,商户单号,备注` after about 16 lines
  (微信支付账单明细 ...); amounts like `¥28.16`, `/` for neutral rows.
(Sources: open-source bill parsers' documentation and example files, e.g. the Alipay and WeChat
providers of double-entry-generator, and the apps' export pages; see NOTES.md.)

Refunds. Alipay writes a refund as its own row (交易状态 退款成功; 收/支 不计收支, or 收入 in
the 2021 layout) carrying the original's order number (or that number with a suffix); the web
export also puts the amount refunded in the original's 成功退款（元）. WeChat Pay changes the
original's status (已全额退款, 已退款(￥9.10), 对方已退还) and adds a `...-退款` income row.
Either way the purchase counts net of its refund, in its own month and category, never as income.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

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
PLAIN_OTHER = {"其他", "生活服务", "商业服务", "扫二维码付款", "二维码收款"}
"""Source categories that mean "other" (not reported as unknown)."""
COUNTED_STATUS = (
    "成功",
    "已支付",
    "已收钱",
    "已收款",
    "已到账",
    "已存入零钱",
    "已转账",
    "等待确认收货",
    "已收货",
    "对方已收钱",
    "朋友已收钱",
)
"""A status with one of these in it means the money moved."""
FULL_REFUND_STATUS = ("已全额退款", "对方已退还", "已退还")
DIRECTIONS = {"支出": "expenses", "收入": "income"}
NEUTRAL_DIRECTIONS = ("不计收支", "其他", "/", "")
ROLES = {
    "time": ("交易时间", "付款时间"),
    "created": ("交易创建时间",),
    "category": ("交易分类",),
    "kind": ("交易类型", "类型"),
    "direction": ("收/支",),
    "amount": ("金额", "金额（元）", "金额(元)"),
    "status": ("当前状态", "交易状态"),
    "refunded": ("成功退款（元）", "成功退款(元)"),
    "funds": ("资金状态",),
    "order": ("交易订单号", "交易单号", "交易号"),
    "merchant": ("商家订单号", "商户单号"),
}
"""Each role's header names, in the order they are preferred."""
KNOWN_COLUMNS = {name for names in ROLES.values() for name in names} | {
    "交易对方",
    "对方账号",
    "商品说明",
    "商品",
    "商品名称",
    "收/付款方式",
    "支付方式",
    "备注",
    "最近修改时间",
    "交易来源地",
    "服务费（元）",
}
"""The columns of the apps' layouts: only others are reported as unknown."""
_TIME = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?"
)
_PARTIAL_REFUND = re.compile(r"退款\s*[(（]?\s*[¥￥]\s*([\d,]+(?:\.\d+)?)")
MAX_AMOUNT = Decimal("1e10")


@dataclass
class Purchase:
    """A counted transaction: where it belongs, its amount, what was refunded of it."""

    row: int
    month: str
    direction: str
    category: str
    raw_category: str
    amount: Decimal
    refunded: Decimal
    keys: tuple[str, ...]
    refund_rows: Decimal = field(default=Decimal(0))


@dataclass
class Refund:
    """A refund row, to be paired with its purchase by order number."""

    row: int
    amount: Decimal
    keys: tuple[str, ...]


@dataclass
class Skipped:
    """A row that is no transaction of income or expenses, and why (a note, not a refusal)."""

    reason: str


def header_roles(header: list[str]) -> dict[str, int]:
    """Role → column index; time, direction and amount are needed."""
    found: dict[str, int] = {}
    for role, names in ROLES.items():
        for name in names:
            if name in header:
                found[role] = header.index(name)
                break
    return found


def is_header(cells: list[str]) -> bool:
    """A row with 收/支, an amount and a time column is the table's header."""
    names = {cell.strip() for cell in cells}
    return (
        "收/支" in names
        and any(name in names for name in ROLES["amount"])
        and any(name in names for name in (*ROLES["time"], *ROLES["created"]))
    )


def parse_time(text: str) -> datetime | None:
    """A bill time: 2026-09-03 12:10:00, 2026/9/3 12:10, 2026年9月3日 ...; None if it is none."""
    found = _TIME.match(text.strip())
    if found is None:
        return None
    year, month, day, hour, minute, second = (int(part) if part else 0 for part in found.groups())
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def parse_amount(text: str) -> Decimal | None:
    """`28.16`, `¥28.16`, `￥1,234.00`, ` 28.16 ` as a non-negative Decimal; None otherwise."""
    cleaned = text.strip().lstrip("¥￥").replace(",", "").strip()
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        return None
    return amount


def order_keys(row: dict[str, str]) -> tuple[str, ...]:
    """The order and merchant numbers of a row (tabs and padding removed; `/` is none)."""
    keys = []
    for role in ("order", "merchant"):
        value = row.get(role, "").strip().strip("'\"`")
        if value and value != "/":
            keys.append(value)
    return tuple(keys)


def category_of(row: dict[str, str], source: str) -> tuple[str, str]:
    """(our category, the app's word for it)."""
    if source == "alipay":
        raw = row.get("category", "")
        return (ALIPAY_CATEGORIES.get(raw, "other") if raw else "other"), raw
    raw = row.get("kind", "")
    return WECHAT_TYPES.get(raw, "other"), raw


def is_refund(row: dict[str, str], source: str) -> bool:
    """A row that gives back (part of) a purchase rather than being income."""
    if row.get("direction", "").strip() == "支出":
        return False  # money out is a purchase, refunded or not (see `refunded_in_row`)
    status = row.get("status", "")
    if source == "alipay":
        return "退款成功" in status or "退款" in (row.get("category", ""), row.get("kind", ""))
    return "退款" in row.get("kind", "")


def refunded_in_row(row: dict[str, str], amount: Decimal, source: str) -> Decimal:
    """What the row itself says was refunded of it (a column or, for WeChat Pay, its status)."""
    status = row.get("status", "")
    if source == "alipay":
        column = parse_amount(row.get("refunded", "") or "0")
        if not column and "退款成功" in status:
            return amount  # a purchase marked refunded, with no amount given: in full
        return min(column or Decimal(0), amount)
    if any(word in status for word in FULL_REFUND_STATUS):
        return amount
    partial = _PARTIAL_REFUND.search(status)
    if partial:
        value = parse_amount(partial.group(1))
        return min(value or Decimal(0), amount)
    if "退款" in status:
        return amount
    return Decimal(0)


def counted(status: str) -> bool:
    """The status says the money moved (or moved and came back, netted elsewhere)."""
    return (
        not status
        or any(word in status for word in COUNTED_STATUS)
        or any(word in status for word in FULL_REFUND_STATUS)
        or "退款" in status
    )


def neutral(row: dict[str, str]) -> bool:
    """Neither income nor expenses: 不计收支, 其他, `/`, or the web export's 资金转移."""
    return row.get("direction", "").strip() in NEUTRAL_DIRECTIONS or "资金转移" in row.get(
        "funds", ""
    )
