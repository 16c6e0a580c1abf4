"""The shipped Maven CRM profiles on the real files (read-only, in ``../shared/datasets``):
35 users, 85 customers, 7 products, and a deterministic slice of the 8,800 opportunities (the
full file takes minutes; ``manage.py import_data`` loads it whole, see docs/import.md)."""

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from salesflow.customers.models import Customer, Industry
from salesflow.deals.models import Product
from salesflow.imports.models import ImportRun
from salesflow.org.models import Department, User
from salesflow.pipeline.models import Opportunity, OpportunityStatus

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT.parent / "shared" / "datasets" / "maven-crm"
PROFILES = ROOT / "examples" / "import-profiles"
SLICE = 250

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not DATA.exists(), reason="Maven CRM data set not present"),
]


def load(profile: str, path: Path) -> ImportRun:
    call_command(
        "import_data", str(path), profile=str(PROFILES / profile), user="admin",
        stdout=io.StringIO(),
    )  # fmt: skip
    return ImportRun.objects.latest("id")


def test_maven_profiles_load_the_real_files(make_user, tmp_path):
    # the owner column assigns to others: the loader needs the assign right (a superuser here)
    make_user("admin", username="admin", display_name="管理员", is_superuser=True)
    teams = load("maven-sales-teams.json", DATA / "sales_teams.csv")
    assert (teams.created_count, teams.failed_count) == (35, 0)
    assert "随之新建：部门 9、用户 6" in teams.message
    agents = User.objects.filter(roles__code="sales_rep")
    assert agents.count() == 35
    managers = User.objects.filter(roles__code="sales_manager")
    assert managers.count() == 6
    assert set(Department.objects.filter(parent__isnull=True).values_list("name", flat=True)) == {
        "Central",
        "East",
        "West",
    }
    assert Department.objects.filter(parent__isnull=False).count() == 6
    anna = User.objects.get(display_name="Anna Snelling")
    assert anna.manager.display_name == "Dustin Brinkmann"

    accounts = load("maven-accounts.json", DATA / "accounts.csv")
    assert (accounts.created_count, accounts.failed_count) == (85, 0)
    assert Customer.objects.count() == 85
    acme = Customer.objects.get(name="Acme Corporation")
    assert acme.industry.name == "信息技术"  # the "technolgy" typo, mapped
    assert not Industry.objects.filter(name__icontains="technolgy").exists()
    assert Customer.objects.get(name="Bioholding").address == "Philippines"
    assert "industry: technolgy → 信息技术（12 行）" in accounts.message

    products = load("maven-products.json", DATA / "products.csv")
    assert (products.created_count, products.failed_count) == (7, 0)
    assert Product.objects.get(name="GTX Pro").product_line.name == "GTX"

    with (DATA / "sales_pipeline.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1 : SLICE + 1]
    part = tmp_path / "sales_pipeline_slice.csv"
    with part.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *body])
    no_account = [r for r in body if r[3] == ""]
    pipeline = load("maven-sales-pipeline.json", part)
    assert pipeline.created_count == SLICE - len(no_account)
    assert pipeline.failed_count == len(no_account) > 0
    assert {e["cells"]["opportunity_id"] for e in pipeline.report} == {r[0] for r in no_account}
    assert all("客户名称" in e["errors"] for e in pipeline.report)
    won = [r for r in body if r[4] == "Won"]
    assert Opportunity.objects.filter(status=OpportunityStatus.WON).count() == len(won)
    assert sum(int(r[7]) for r in won) == sum(
        Opportunity.objects.filter(status=OpportunityStatus.WON).values_list("amount", flat=True)
    )
    gtx_pro = [r for r in body if r[2] == "GTXPro" and r[3]]
    assert Opportunity.objects.filter(product_lines__name="GTX", name__contains="GTXPro").count()
    assert f"product: GTXPro → GTX Pro（{len([r for r in body if r[2] == 'GTXPro'])} 行）" in (
        pipeline.message
    )
    assert gtx_pro
    owner_names = set(Opportunity.objects.values_list("owner__display_name", flat=True))
    assert owner_names <= {r[1] for r in body}
    json.dumps(pipeline.report)  # the report is plain JSON
