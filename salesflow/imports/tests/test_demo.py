"""The demo step: Maven profiles saved, the trade-show lead list imported with two refused
rows; running it again changes nothing."""

import random

import pytest

from salesflow.imports import demo as imports_demo
from salesflow.imports.models import ImportProfile, ImportRun
from salesflow.leads.models import Lead
from salesflow.org.demo import SeedContext

pytestmark = pytest.mark.django_db


def test_demo_step_imports_the_trade_show_list(make_user):
    users = {
        "admin": make_user("admin", username="admin"),
        "marketing.1": make_user("marketing", username="mkt"),
    }
    ctx = SeedContext(seed=1, random=random.Random(1), users=users)
    imports_demo.seed_imports(ctx)
    run = ImportRun.objects.get(file_name=imports_demo.FILE_NAME)
    assert (run.created_count, run.failed_count) == (10, 2)
    reasons = " ".join(str(e["errors"]) for e in run.report)
    assert "联系电话和邮箱至少填写一项" in reasons and "身份证" in reasons
    assert Lead.objects.count() == 10
    assert ImportProfile.objects.count() == 5
    imports_demo.seed_imports(ctx)  # idempotent
    assert ImportRun.objects.count() == 1 and Lead.objects.count() == 10
