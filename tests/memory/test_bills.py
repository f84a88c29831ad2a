"""Alipay and WeChat Pay bills as the apps write them: every layout, refunds netted, neutral rows
out, totals exact to the cent per month and category, and no personal line in any note.

The fixtures are described (with the sources of their format facts) in tests/fixtures/README.md.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest

from memory.records.importers import (
    ImportFormatError,
    ImportLimits,
    ParsedImport,
    PasswordRequiredError,
    detect_format,
    parse_import,
)
from tests.memory.bill_files import locked_zip, wechat_xlsx

FIXTURES = Path(__file__).parent.parent / "fixtures"
PERSONAL = (
    "李雷",
    "lilei",
    "韩梅梅",
    "hanmeimei",
    "王小明",
    "wangxm",
    "阿强",
    "20880012345678900156",
)
"""Names, accounts and e-mails in the fixtures' preambles and trailers."""

Totals = dict[tuple[str, str, str], Decimal]


def _totals(parsed: ParsedImport) -> Totals:
    found: Totals = {}
    for _, record in parsed.records:
        direction = "income" if "income" in record.data else "expenses"
        key = (f"{record.recorded_at:%Y-%m}", direction, record.data["category"])
        assert key not in found, key
        found[key] = Decimal(str(record.data[direction]))
    return found


def _text(parsed: ParsedImport) -> str:
    notes = " ".join(f"{note.en} {note.zh}" for note in parsed.notes)
    return notes + " ".join(" ".join(errors) for _, errors in parsed.rejected)


def _read(name: str, **options: object) -> ParsedImport:
    return parse_import(io.BytesIO((FIXTURES / name).read_bytes()), name, **options)  # type: ignore[arg-type]


def D(text: str) -> Decimal:
    return Decimal(text)


ALIPAY_2023: Totals = {
    ("2026-09", "expenses", "food"): D("369.30"),  # 12.50 + 356.80
    ("2026-09", "expenses", "transport"): D("4.00"),
    ("2026-09", "income", "salary"): D("15000.00"),
    # September's 199.00 of groceries was refunded in full: no groceries that month.
    ("2026-10", "expenses", "shopping"): D("200.00"),  # 300.00 less a 100.00 refund
    ("2026-10", "expenses", "food"): D("18.00"),
    ("2026-10", "expenses", "groceries"): D("20.00"),  # 23.50 less 3.50, paired by 商家订单号
}


def test_alipay_2023_nets_refunds_and_keeps_neutral_rows_out() -> None:
    stream = io.BytesIO((FIXTURES / "alipay_2023.csv").read_bytes())
    assert detect_format(stream, "x.csv") == "alipay"
    parsed = _read("alipay_2023.csv")
    assert parsed.format == "alipay" and parsed.rejected == []
    assert _totals(parsed) == ALIPAY_2023
    notes = [note.en for note in parsed.notes]
    assert any("2 neutral rows" in note for note in notes)  # 余额宝 and the 花呗 repayment
    assert "refunds netted from their purchases: 3 (¥302.50)" in notes
    assert "not counted: 1 purchases refunded in full" in notes
    # The August order of the refunded book is not in this bill; the headphones were closed.
    assert "not counted: 1 refunds (¥45.00) whose purchase is not in this bill" in notes
    assert "not counted: status 交易关闭 (1 rows)" in notes
    assert not any(word in _text(parsed) for word in PERSONAL)


def test_alipay_2021_layout_refund_is_no_income_and_its_trailer_is_not_quoted() -> None:
    expected: Totals = {
        ("2021-06", "expenses", "food"): D("6.50"),
        ("2021-06", "expenses", "shopping"): D("109.90"),  # 219.80 less the 109.90 refund
        ("2021-06", "income", "transfer"): D("500.00"),
        ("2021-07", "expenses", "transport"): D("32.00"),
    }
    parsed = _read("alipay_2021.csv")
    assert _totals(parsed) == expected
    assert parsed.rejected == [] and not any(word in _text(parsed) for word in PERSONAL)
    # Without the rule line before it, the summary is still no transaction and never quoted.
    content = (FIXTURES / "alipay_2021.csv").read_bytes().decode("gbk")
    rule = "-" * 84 + "\r\n"
    without_rule = content[: content.rindex(rule)] + content[content.rindex(rule) + len(rule) :]
    parsed = parse_import(io.BytesIO(without_rule.encode("gbk")), "alipay.csv")
    assert _totals(parsed) == expected
    assert parsed.rejected == [] and not any(word in _text(parsed) for word in PERSONAL)


def test_alipay_web_export_uses_the_refunded_column_once() -> None:
    parsed = _read("alipay_web.csv")
    # 2,725.42 refunded in full; 150.00 less 23.42 (in the column and as a refund row: once).
    assert _totals(parsed) == {
        ("2019-03", "expenses", "other"): D("203.58"),  # 126.58 + 77.00
        ("2019-03", "income", "other"): D("200.00"),
        ("2019-04", "expenses", "other"): D("98.00"),
    }
    expenses = sum(v for (_, direction, _), v in _totals(parsed).items() if direction == "expenses")
    assert expenses == D("301.58")
    notes = [note.en for note in parsed.notes]
    assert any("no categories" in note for note in notes)
    assert any("1 neutral rows" in note for note in notes)  # 资金转移 to 余额宝
    assert not any(word in _text(parsed) for word in PERSONAL)


WECHAT: Totals = {
    ("2025-01", "expenses", "shopping"): D("104.20"),  # 19.90 + (93.40 less the 9.10 refunded)
    ("2025-01", "expenses", "other"): D("25.00"),
    ("2025-01", "income", "transfer"): D("200.00"),
    # February: the book (已全额退款) and the returned transfer (对方已退还) do not count.
    ("2025-02", "income", "transfer"): D("300.00"),
    ("2025-03", "expenses", "shopping"): D("35.50"),
    ("2025-03", "expenses", "family"): D("60.00"),
}


def test_wechat_csv_counts_a_partial_refund_net_and_skips_neutral_rows() -> None:
    parsed = _read("wechat_pay_2025.csv")
    assert parsed.format == "wechat_pay" and parsed.rejected == []
    assert _totals(parsed) == WECHAT
    notes = [note.en for note in parsed.notes]
    assert "refunds netted from their purchases: 2 (¥91.10)" in notes
    assert "not counted: 2 purchases refunded in full" in notes
    assert "not counted: status 支付失败 (1 rows)" in notes
    assert not any(word in _text(parsed) for word in PERSONAL)


@pytest.mark.parametrize("blank_rows", [0, 1])
def test_wechat_xlsx_reads_like_its_csv(blank_rows: int) -> None:
    content = wechat_xlsx(extra_blank_rows=blank_rows)  # header on row 17 or 18
    assert detect_format(io.BytesIO(content), "微信支付账单.xlsx") == "wechat_pay"
    parsed = parse_import(io.BytesIO(content), "微信支付账单(20250101-20250331).xlsx")
    assert parsed.format == "wechat_pay" and _totals(parsed) == WECHAT
    assert not any(word in _text(parsed) for word in PERSONAL)


def test_a_locked_wechat_zip_opens_with_its_password_only() -> None:
    name = "微信支付账单(20250101-20250331)——【解压密码可在微信支付公众号查看】.xlsx"
    locked = locked_zip(name, wechat_xlsx(), "428571")
    parsed = parse_import(io.BytesIO(locked), "微信支付账单.zip", password="428571")
    assert _totals(parsed) == WECHAT
    with pytest.raises(PasswordRequiredError) as missing:
        parse_import(io.BytesIO(locked), "微信支付账单.zip")
    assert not missing.value.wrong and missing.value.app == "wechat_pay"
    assert "WeChat Pay bill" in missing.value.in_("en") and "password" in missing.value.in_("en")
    assert "微信支付账单" in missing.value.in_("zh") and "密码" in missing.value.in_("zh")
    with pytest.raises(PasswordRequiredError) as wrong:
        parse_import(io.BytesIO(locked), "微信支付账单.zip", password="000000")
    assert wrong.value.wrong and "000000" not in wrong.value.in_("en")


def test_a_locked_alipay_zip_of_its_csv() -> None:
    csv = (FIXTURES / "alipay_2023.csv").read_bytes()
    locked = locked_zip("alipay_record_20261102_0930_1.csv", csv, "9xK2")
    parsed = parse_import(io.BytesIO(locked), "支付宝交易明细.zip", password="9xK2")
    assert parsed.format == "alipay" and _totals(parsed) == ALIPAY_2023


@pytest.mark.parametrize("encoding", ["gbk", "utf-8", "utf-8-sig"])
def test_alipay_in_any_encoding(encoding: str) -> None:
    text = (FIXTURES / "alipay_2023.csv").read_bytes().decode("gbk")
    parsed = parse_import(io.BytesIO(text.encode(encoding)), "alipay.csv")
    assert _totals(parsed) == ALIPAY_2023


def test_wechat_csv_in_gbk_too() -> None:
    text = (FIXTURES / "wechat_pay_2025.csv").read_text(encoding="utf-8-sig")
    parsed = parse_import(io.BytesIO(text.encode("gb18030")), "wechat.csv")
    assert _totals(parsed) == WECHAT


def test_a_wrong_format_names_the_app_the_file_is() -> None:
    content = wechat_xlsx()
    with pytest.raises(ImportFormatError) as error:
        parse_import(io.BytesIO(content), "bill.xlsx", format="alipay")
    message = error.value.in_("en")
    assert error.value.app == "wechat_pay" and "WeChat Pay" in message
    assert "Apple" not in message and "export.xml" not in message
    with pytest.raises(ImportFormatError) as error:
        parse_import(io.BytesIO(content), "bill.xlsx", format="apple_health")
    assert "Apple Health" in error.value.in_("en") and "choose WeChat Pay" in error.value.in_("en")


def test_a_spreadsheet_that_is_no_bill_says_so_without_naming_another_app() -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["日期", "体重"])
    sheet.append(["2026-11-01", 70.5])
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(ImportFormatError) as error:
        parse_import(io.BytesIO(buffer.getvalue()), "weights.xlsx")
    assert "not an Alipay or WeChat Pay bill" in error.value.in_("en")
    assert "Apple" not in error.value.in_("en")
    assert "不是支付宝或微信支付账单" in error.value.in_("zh")


def test_a_bill_without_its_header_names_the_app() -> None:
    with pytest.raises(ImportFormatError) as error:
        parse_import(io.BytesIO("微信支付账单明细\n只有说明\n".encode()), "x.csv")
    assert error.value.app == "wechat_pay"
    assert error.value.in_("en").startswith("This WeChat Pay bill cannot be imported: no header")
    assert error.value.in_("zh").startswith("这个微信支付账单无法导入")


def test_a_bad_amount_is_a_row_error_quoting_only_the_amount() -> None:
    text = (FIXTURES / "alipay_2023.csv").read_bytes().decode("gbk").replace(",18.00,", ",abc,")
    parsed = parse_import(io.BytesIO(text.encode("gbk")), "alipay.csv")
    [(row, errors)] = parsed.rejected
    assert row == 12 and errors == ["line 36: 金额 'abc' is not an amount like 28.16"]


def test_a_bill_longer_than_the_limit_is_refused() -> None:
    with pytest.raises(ImportFormatError, match="more than 5 transactions"):
        _read("alipay_2023.csv", limits=ImportLimits(max_records=5))
