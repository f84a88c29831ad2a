"""Alipay and WeChat Pay bills: transactions summed per month and category, refunds netted.

Both apps write lines of account information before the header (the "preamble") and Alipay also
after the rows (the "trailer"); neither is ever quoted in the notes, since they hold the user's
name, account and e-mail. The rows (CSV in GBK or UTF-8, or an `.xlsx` sheet) are read by role
(`bill_rules`). Rows count when they are income (收入) or expenses (支出) and the money moved;
neutral rows (不计收支, 其他, `/`: moving money between one's own accounts) and closed orders are
counted in the notes. A refund is netted from its purchase (same month and category), never
income. Times are Beijing time. Each (month, income or expenses, category) becomes one finance
record in CNY, dated the 1st of the month at 12:00 UTC, with the number of transactions in its
note. Categories map onto `memory.records.datatypes.EXPENSE_CATEGORIES`; unknown ones become `other`
(and are named in the notes).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from memory.records.importers import bill_rules as rules
from memory.records.importers.base import ImportFormatError, Message, ParsedImport, listed
from memory.records.importers.limits import ImportLimits

PREAMBLE_LINES = 60
"""The header must appear within this many lines."""
CENT = Decimal("0.01")
APP_NAMES = {"alipay": ("支付宝", "Alipay"), "wechat_pay": ("微信支付", "WeChat Pay")}


def detect_bill(head: str) -> str | None:
    """`alipay`, `wechat_pay`, or None, from the first lines of the file (or sheet)."""
    compact = head.replace(" ", "").replace("\t", "")
    if "微信支付" in compact or "交易时间,交易类型,交易对方,商品" in compact:
        return "wechat_pay"
    if (
        "支付宝" in compact
        or "交易时间,交易分类,交易对方" in compact
        or "交易号,商家订单号" in compact
        or "收/支,交易对方,对方账号" in compact
    ):
        return "alipay"
    return None


def _find_header(rows: Iterator[list[str]], source: str) -> tuple[list[str], int]:
    for line, cells in enumerate(rows, start=1):
        if rules.is_header(cells):
            return [cell.strip() for cell in cells], line
        if line >= PREAMBLE_LINES:
            break
    raise ImportFormatError(
        Message(
            f"no header row with 交易时间, 收/支 and 金额 in its first {PREAMBLE_LINES} lines; "
            "export the bill again from the app (CSV, or WeChat Pay's .xlsx) and import the "
            "file as it came",
            f"前 {PREAMBLE_LINES} 行中没有含“交易时间”“收/支”“金额”的表头；请在 App 中重新导出"
            "账单（CSV，或微信支付的 .xlsx），并导入原始文件",
        ),
        app=source,
    )


class _Ledger:
    """The purchases, refunds and skipped rows of one bill, then its monthly records."""

    def __init__(self, source: str, limits: ImportLimits) -> None:
        self.source = source
        self.limits = limits
        self.parsed = ParsedImport(format=source)
        self.purchases: list[rules.Purchase] = []
        self.refunds: list[rules.Refund] = []
        self.skipped: Counter[str] = Counter()
        self.closed: dict[str, rules.Purchase] = {}
        """Order numbers of orders not counted (closed), so their refunds are not reported."""
        self.neutral = 0

    def row(self, number: int, line: int, row: dict[str, str]) -> None:
        when = rules.parse_time(row.get("time", "")) or rules.parse_time(row.get("created", ""))
        amount = rules.parse_amount(row.get("amount", ""))
        if when is None or amount is None:
            if when is None and amount is None and not rules.neutral(row):
                self.skipped["(lines that are no transaction)"] += 1
                return
            what = "交易时间" if when is None else "金额"
            value = row.get("time" if when is None else "amount", "")[:40]
            hint = "a time like 2026-11-20 08:30:00" if when is None else "an amount like 28.16"
            self.parsed.reject(number, [f"line {line}: {what} {value!r} is not {hint}"])
            return
        if rules.is_refund(row, self.source):
            self.refunds.append(rules.Refund(number, amount, rules.order_keys(row)))
            return
        if rules.neutral(row):
            self.neutral += 1
            return
        direction = rules.DIRECTIONS.get(row.get("direction", "").strip())
        status = row.get("status", "")
        if direction is None:
            self.skipped[f"收/支 {row.get('direction', '')[:20]}"] += 1
            return
        if not rules.counted(status):
            self.skipped[f"status {status[:20]}"] += 1
            for key in rules.order_keys(row):
                self.closed[key] = rules.Purchase(number, "", "", "", "", amount, amount, ())
            return
        category, raw = rules.category_of(row, self.source)
        self.purchases.append(
            rules.Purchase(
                row=number,
                month=f"{when:%Y-%m}",
                direction=direction,
                category=category,
                raw_category=raw,
                amount=amount,
                refunded=rules.refunded_in_row(row, amount, self.source),
                keys=rules.order_keys(row),
            )
        )

    def _pair_refunds(self) -> tuple[int, Decimal, int, Decimal]:
        """Add each refund to its purchase; (paired, amount, unmatched, amount).

        A refund of an order that was closed (not counted) is neither.
        """
        index: dict[str, rules.Purchase] = {}
        for counted in self.purchases:
            for key in counted.keys:
                index.setdefault(key, counted)
        paired = unmatched = 0
        paired_sum = unmatched_sum = Decimal(0)
        for refund in self.refunds:
            purchase = _match(refund.keys, index)
            if purchase is None and _match(refund.keys, self.closed) is not None:
                continue
            if purchase is None:
                unmatched += 1
                unmatched_sum += refund.amount
                continue
            purchase.refund_rows += refund.amount
            paired += 1
            paired_sum += refund.amount
        return paired, paired_sum, unmatched, unmatched_sum

    def finish(self, header: list[str]) -> ParsedImport:
        self.categorised = self.source != "alipay" or "交易分类" in header
        if not self.categorised:
            self.parsed.note(
                "this layout of the bill has no categories: every transaction is counted as other",
                "这种格式的账单没有交易分类：所有交易都计为其他",
            )
        paired, paired_sum, unmatched, unmatched_sum = self._pair_refunds()
        totals: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
        counts: Counter[tuple[str, str, str]] = Counter()
        first_row: dict[tuple[str, str, str], int] = {}
        unknown: Counter[str] = Counter()
        refunded_in_full = 0
        for purchase in self.purchases:
            net = purchase.amount - min(
                max(purchase.refunded, purchase.refund_rows), purchase.amount
            )
            if net <= 0:
                refunded_in_full += 1
                continue
            key = (purchase.month, purchase.direction, purchase.category)
            totals[key] += net
            counts[key] += 1
            first_row.setdefault(key, purchase.row)
            if (
                purchase.category == "other"
                and purchase.raw_category not in rules.PLAIN_OTHER
                and self.categorised
            ):
                unknown[purchase.raw_category or "(none)"] += 1
        self._notes(header, paired, paired_sum, unmatched, unmatched_sum, refunded_in_full)
        shown, more, rest = listed(unknown, self.limits.max_listed_names)
        for name, n in shown:
            self.parsed.note(
                f"category {name[:40]} counted as other ({n} rows)",
                f"类别“{name[:40]}”计为其他（{n} 笔）",
            )
        if more:
            self.parsed.note(
                f"{more} more categories counted as other ({rest} rows)",
                f"另有 {more} 个类别计为其他（{rest} 笔）",
            )
        zh_app, en_app = APP_NAMES[self.source]
        for (month, direction, category), total in sorted(totals.items()):
            year, month_number = (int(part) for part in month.split("-"))
            n = counts[(month, direction, category)]
            plural = "transactions" if n > 1 else "transaction"
            data: dict[str, Any] = {
                direction: float(total.quantize(CENT)),
                "category": category,
                "currency": "CNY",
                "period": "month",
                "source": self.source,
                "note": f"{zh_app} {n} 笔 / {en_app}: {n} {plural}",
            }
            dated = datetime(year, month_number, 1, 12, tzinfo=UTC)
            self.parsed.add(
                first_row[(month, direction, category)], "finance", data, recorded_at=dated
            )
        return self.parsed

    def _notes(
        self,
        header: list[str],
        paired: int,
        paired_sum: Decimal,
        unmatched: int,
        unmatched_sum: Decimal,
        refunded_in_full: int,
    ) -> None:
        note = self.parsed.note
        columns = Counter(name for name in header if name and name not in rules.KNOWN_COLUMNS)
        shown, more, _ = listed(columns, self.limits.max_listed_names)
        if shown:
            names = ", ".join(name[:40] for name, _ in shown) + (f" (+{more})" if more else "")
            note(f"columns not imported (unknown): {names}", f"未导入的列（未知）：{names}")
        if self.neutral:
            note(
                f"not counted as income or expenses: {self.neutral} neutral rows (不计收支: "
                "moves between your own accounts, top-ups, repayments)",
                f"不计入收入或支出：{self.neutral} 笔不计收支的交易"
                "（自己账户间的转移、充值、还款）",
            )
        if paired:
            note(
                f"refunds netted from their purchases: {paired} (¥{paired_sum.quantize(CENT)})",
                f"已从原交易中扣除的退款：{paired} 笔（¥{paired_sum.quantize(CENT)}）",
            )
        if refunded_in_full:
            note(
                f"not counted: {refunded_in_full} purchases refunded in full",
                f"未计入：{refunded_in_full} 笔已全额退款的交易",
            )
        if unmatched:
            note(
                f"not counted: {unmatched} refunds (¥{unmatched_sum.quantize(CENT)}) whose "
                "purchase is not in this bill",
                f"未计入：{unmatched} 笔退款（¥{unmatched_sum.quantize(CENT)}），"
                "其原交易不在这份账单中",
            )
        for reason, n in self.skipped.most_common(self.limits.max_listed_names):
            if reason.startswith("("):
                note(f"not read: {n} lines that are no transaction", f"未读取：{n} 行不是交易")
            else:
                note(f"not counted: {reason} ({n} rows)", f"未计入：{reason}（{n} 笔）")


def _match(keys: tuple[str, ...], index: dict[str, rules.Purchase]) -> rules.Purchase | None:
    """The purchase a refund belongs to: the same order number, or that number with a suffix."""
    for key in keys:
        if key in index:
            return index[key]
    for key in keys:
        for end in range(len(key) - 1, 9, -1):
            if not key[end].isalnum() and key[:end] in index:
                return index[key[:end]]
        for end in range(len(key) - 1, 15, -1):
            if key[:end] in index:
                return index[key[:end]]
    return None


def parse_bill(rows: Iterable[list[str]], source: str, limits: ImportLimits) -> ParsedImport:
    """Read an Alipay or WeChat Pay bill's rows (`source`); see the module docstring."""
    iterator = iter(rows)
    header, line = _find_header(iterator, source)
    roles = rules.header_roles(header)
    ledger = _Ledger(source, limits)
    number = 0
    for cells in iterator:
        line += 1
        first = cells[0].strip() if cells else ""
        if first.startswith("---"):
            break  # the closing rule of the table: the trailer (account summary) follows
        if sum(1 for cell in cells if cell.strip()) <= 1:
            continue  # blank lines, summary lines
        number += 1
        if number > limits.max_records:
            raise ImportFormatError(
                Message(
                    f"it has more than {limits.max_records:,} transactions, the most one import "
                    "brings (MEMADVISOR_IMPORT_MAX_RECORDS); export a shorter period",
                    f"交易超过 {limits.max_records:,} 笔，超出单次导入的上限"
                    "（MEMADVISOR_IMPORT_MAX_RECORDS）；请导出较短时间段的账单",
                ),
                app=source,
            )
        row = {role: cells[i].strip() if i < len(cells) else "" for role, i in roles.items()}
        ledger.row(number, line, row)
    return ledger.finish(header)
