from django.urls import path

from .views import catalog, contracts, orders, quotes, receivables

app_name = "deals"

urlpatterns = [
    # 产品
    path("products/", catalog.product_list, name="product_list"),
    path("products/export/", catalog.product_export, name="product_export"),
    path("products/new/", catalog.product_create, name="product_create"),
    path("products/<int:pk>/edit/", catalog.product_edit, name="product_edit"),
    # 报价
    path("quotes/", quotes.quote_list, name="quote_list"),
    path("quotes/export/", quotes.quote_export, name="quote_export"),
    path("quotes/new/", quotes.quote_create, name="quote_create"),
    path("quotes/<int:pk>/", quotes.quote_detail, name="quote_detail"),
    path("quotes/<int:pk>/edit/", quotes.quote_edit, name="quote_edit"),
    path("quotes/<int:pk>/print/", quotes.quote_print, name="quote_print"),
    path("quotes/<int:pk>/submit/", quotes.quote_submit, name="quote_submit"),
    path("quotes/<int:pk>/send/", quotes.quote_send, name="quote_send"),
    path("quotes/<int:pk>/answer/", quotes.quote_answer, name="quote_answer"),
    # 合同
    path("contracts/", contracts.contract_list, name="contract_list"),
    path("contracts/export/", contracts.contract_export, name="contract_export"),
    path("contracts/new/", contracts.contract_create, name="contract_create"),
    path("contracts/files/<int:pk>/", contracts.contract_file, name="contract_file"),
    path("contracts/<int:pk>/", contracts.contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/edit/", contracts.contract_edit, name="contract_edit"),
    path("contracts/<int:pk>/submit/", contracts.contract_submit, name="contract_submit"),
    path("contracts/<int:pk>/withdraw/", contracts.contract_withdraw, name="contract_withdraw"),
    path("contracts/<int:pk>/sign/", contracts.contract_sign, name="contract_sign"),
    path("contracts/<int:pk>/close/", contracts.contract_close, name="contract_close"),
    path("contracts/<int:pk>/files/", contracts.contract_file_add, name="contract_file_add"),
    path("contracts/<int:pk>/plans/", contracts.plan_add, name="plan_add"),
    path("contracts/<int:pk>/win/", contracts.contract_link_win, name="contract_link_win"),
    path("contracts/<int:contract_pk>/orders/new/", orders.order_create, name="order_create"),
    # 订单
    path("orders/", orders.order_list, name="order_list"),
    path("orders/export/", orders.order_export, name="order_export"),
    path("orders/<int:pk>/", orders.order_detail, name="order_detail"),
    path("orders/<int:pk>/delivery/", orders.order_delivery, name="order_delivery"),
    # 回款/应收
    path("receivables/", receivables.receivables, name="receivables"),
    path("receivables/export/", receivables.receivables_export, name="receivables_export"),
    path("receipts/", receivables.receipt_list, name="receipt_list"),
    path("receipts/export/", receivables.receipt_export, name="receipt_export"),
    path("receipts/new/", receivables.receipt_create, name="receipt_create"),
    path("receipts/<int:pk>/delete/", receivables.receipt_delete, name="receipt_delete"),
    path("plans/<int:pk>/edit/", receivables.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/bad-debt/", receivables.plan_bad_debt, name="plan_bad_debt"),
    path("plans/<int:pk>/delete/", receivables.plan_delete, name="plan_delete"),
    path("credit/", receivables.risk, name="risk"),
    path("credit/<int:customer_pk>/", receivables.credit_edit, name="credit_edit"),
]
