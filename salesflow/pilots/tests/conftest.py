"""Fixtures of the pilots tests: a company with an east team (the pilot team, with a sub-team)
and a north team (the comparison), and helpers that build pilots through the services."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from salesflow.customers.models import Customer
from salesflow.pilots import services


@pytest.fixture
def org(make_user, make_department):
    company = make_department("测试公司")
    sales = make_department("销售中心", parent=company)
    east = make_department("华东区", parent=sales, region="华东")
    east_one = make_department("华东一组", parent=east, region="华东")
    north = make_department("华北区", parent=sales, region="华北")
    director = make_user("sales_director", department=sales, username="director")
    manager = make_user("sales_manager", department=east, manager=director, username="mgr")
    rep = make_user("sales_rep", department=east, manager=manager, username="rep")
    sub_rep = make_user("sales_rep", department=east_one, manager=manager, username="subrep")
    north_manager = make_user("sales_manager", department=north, manager=director, username="mgr2")
    north_rep = make_user("sales_rep", department=north, manager=north_manager, username="rep2")
    admin = make_user("admin", department=company, username="admin")
    return SimpleNamespace(
        company=company,
        sales=sales,
        east=east,
        east_one=east_one,
        north=north,
        director=director,
        manager=manager,
        rep=rep,
        sub_rep=sub_rep,
        north_manager=north_manager,
        north_rep=north_rep,
        admin=admin,
    )


def today():
    return timezone.localdate()


def make_pilot(actor, teams, *, profile=None, version=None, start=None, end=None, **data):
    start = start or today() - datetime.timedelta(days=10)
    end = end or today() + datetime.timedelta(days=50)
    return services.pilot_create(
        actor=actor,
        data={
            "name": data.pop("name", "华东A类线索12小时响应试点"),
            "goal": data.pop("goal", "缩短A类线索首次联系时间"),
            "start_date": start,
            "end_date": end,
            "settings_profile": profile or {},
            "template_version": version,
            **data,
        },
        teams=teams,
    )


def make_customer(owner, name="苏州恒达精密机械有限公司") -> Customer:
    return Customer.objects.create(name=name, name_key=f"{name}-{owner.pk}", owner=owner)
