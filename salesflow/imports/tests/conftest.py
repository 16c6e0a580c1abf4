"""Fixtures of the import tests: an administrator, two reps in different teams, and helpers
that turn rows into CSV/xlsx bytes and run an import through the services."""

from __future__ import annotations

import csv
import io

import pytest

from salesflow.imports.mapping import Profile
from salesflow.imports.services import run_start, run_upload


@pytest.fixture
def people(make_user, make_department):
    company = make_department("华信")
    east = make_department("华东区", parent=company)
    north = make_department("华北区", parent=company)
    admin = make_user("admin", department=company, username="admin", display_name="管理员")
    manager = make_user("sales_manager", department=east, username="mgr", display_name="王经理")
    rep = make_user("sales_rep", department=east, manager=manager, username="rep",
                    display_name="李娜")  # fmt: skip
    other = make_user("sales_rep", department=north, username="rep2", display_name="赵强")
    return {"admin": admin, "manager": manager, "rep": rep, "other": other}


def csv_bytes(rows: list[list], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run_import(actor, data: bytes, profile: dict, *, mode="partial", dry_run=False, name="t.csv",
               background=False):  # fmt: skip
    profile_obj = Profile.from_json(profile)
    run = run_upload(actor=actor, entity_key=profile_obj.entity, file_name=name, data=data)
    run.config = profile_obj.to_json()
    run.save(update_fields=["config"])
    return run_start(actor=actor, run=run, mode=mode, dry_run=dry_run, background=background)


CUSTOMER_HEADER = ["客户名称", "行业", "员工人数", "总机", "备注"]


def customer_profile(**extra) -> dict:
    return {
        "entity": "customer",
        "columns": {
            "name": "客户名称",
            "industry": "行业",
            "employees": "员工人数",
            "phone": "总机",
            "notes": "备注",
        },
        "duplicates": "skip",
        **extra,
    }
