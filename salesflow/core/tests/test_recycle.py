import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from salesflow.core.models import AuditEntry
from salesflow.core.recycle import purge_expired
from salesflow.customers.models import Customer

pytestmark = pytest.mark.django_db


def deleted_customer(owner, days_ago):
    customer = Customer.objects.create(name=f"删除{days_ago}", name_key=f"k{days_ago}", owner=owner)
    Customer.all_objects.filter(pk=customer.pk).update(
        deleted_at=timezone.now() - datetime.timedelta(days=days_ago)
    )
    return customer


def test_admin_restores_from_the_recycle_bin(client, make_user):
    admin = make_user("admin")
    gone = deleted_customer(make_user("sales_rep"), 3)
    assert not Customer.objects.filter(pk=gone.pk).exists()
    client.force_login(admin)
    page = client.get(reverse("core:recycle_bin")).content.decode()
    assert "删除3" in page
    response = client.post(
        reverse("core:recycle_bin"), {"label": "customers.customer", "pk": gone.pk}
    )
    assert response.status_code == 302
    assert Customer.objects.filter(pk=gone.pk).exists()
    assert AuditEntry.objects.filter(action="customer.restore").exists()


def test_recycle_bin_is_hidden_from_others(client, make_user):
    client.force_login(make_user("sales_director"))
    assert client.get(reverse("core:recycle_bin")).status_code == 404


def test_purge_after_retention_only(make_user):
    rep = make_user("sales_rep")
    old, recent = deleted_customer(rep, 16), deleted_customer(rep, 14)
    assert purge_expired() == 1
    assert not Customer.all_objects.filter(pk=old.pk).exists()
    assert Customer.all_objects.filter(pk=recent.pk).exists()
    assert purge_expired() == 0
