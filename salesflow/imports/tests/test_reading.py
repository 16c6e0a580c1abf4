"""Reading files: encodings, formats from the content, header-row detection, normalised
values."""

import datetime

import pytest

from salesflow.imports.entities import get_entity
from salesflow.imports.mapping import known_header_keys
from salesflow.imports.reading import (
    UnreadableFile,
    detect_header_row,
    normalise,
    read_table,
)

from .conftest import csv_bytes, xlsx_bytes

ROWS = [["客户名称", "员工人数"], ["上海澄明精密机械有限公司", "１２０"], ["杭州知行软件", "45"]]


def test_gbk_csv_is_decoded():
    table = read_table(csv_bytes(ROWS, "gbk"))
    assert table.kind == "csv"
    assert table.encoding == "gb18030"
    assert table.rows[1][0] == "上海澄明精密机械有限公司"


def test_utf8_bom_csv_is_decoded_without_the_bom():
    data = "\ufeff".encode() + csv_bytes(ROWS)
    table = read_table(data)
    assert table.encoding == "utf-8-sig"
    assert table.rows[0][0] == "客户名称"  # no BOM glued to the first header


def test_full_width_digits_and_spaces_are_normalised():
    table = read_table(csv_bytes(ROWS))
    assert table.rows[1][1] == "120"
    assert normalise("\u3000ＡＢＣ\u3000") == "ABC"


def test_xlsx_keeps_dates_and_whole_numbers():
    data = xlsx_bytes([["客户名称", "成立日期", "人数"], ["甲公司", datetime.date(2020, 5, 6), 30]])
    table = read_table(data)
    assert table.kind == "xlsx"
    assert table.rows[1][1] == datetime.date(2020, 5, 6)
    assert table.rows[1][2] == 30 and isinstance(table.rows[1][2], int)


def test_binary_garbage_is_refused():
    with pytest.raises(UnreadableFile):
        read_table(b"\x00\x01\x02binary")


def test_header_row_found_below_a_title_block():
    rows = [
        ["2024年客户名单（华东区）", "", ""],
        ["导出人：李娜", "", ""],
        ["", "", ""],
        ["序号", "公司名称", "所属行业"],
        ["1", "甲公司", "制造业"],
    ]
    known = known_header_keys(get_entity("customer"))
    assert detect_header_row(rows, known) == 3


def test_english_headers_are_recognised():
    rows = [["Account", "Sector", "Employees"], ["Acme", "retail", "10"]]
    assert detect_header_row(rows, known_header_keys(get_entity("customer"))) == 0
