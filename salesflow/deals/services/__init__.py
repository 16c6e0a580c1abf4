"""Every write of the deals module (see the modules for the rules of each part). Importing
this package never imports ``pipeline.services`` (that is done inside the functions that win
opportunities), so the pipeline may import ``ensure_win_allowed`` from here at module level."""

from .common import IllegalTransition
from .contracts import (
    SignResult,
    contract_close,
    contract_create,
    contract_file_add,
    contract_route,
    contract_sign,
    contract_submit,
    contract_update,
    contract_withdraw,
    deal_link_win,
    ensure_win_allowed,
    win_blocker,
)
from .orders import (
    CreditLimitExceeded,
    OrderResult,
    order_change_check,
    order_create,
    order_update_delivery,
)
from .products import product_create, product_update
from .quotes import (
    is_usable as quote_is_usable,
)
from .quotes import (
    needs_approval as quote_needs_approval,
)
from .quotes import (
    quote_answer,
    quote_create,
    quote_send,
    quote_submit,
    quote_update,
)
from .receivables import (
    credit_limit_set,
    customer_refresh_purchases,
    overdue_sweep,
    plan_create,
    plan_delete,
    plan_mark_bad_debt,
    plan_update,
    receipt_delete,
    receipt_record,
    regrade_all,
)

__all__ = [
    "CreditLimitExceeded",
    "IllegalTransition",
    "OrderResult",
    "SignResult",
    "contract_close",
    "contract_create",
    "contract_file_add",
    "contract_route",
    "contract_sign",
    "contract_submit",
    "contract_update",
    "contract_withdraw",
    "credit_limit_set",
    "customer_refresh_purchases",
    "deal_link_win",
    "ensure_win_allowed",
    "order_change_check",
    "order_create",
    "order_update_delivery",
    "overdue_sweep",
    "plan_create",
    "plan_delete",
    "plan_mark_bad_debt",
    "plan_update",
    "product_create",
    "product_update",
    "quote_answer",
    "quote_create",
    "quote_is_usable",
    "quote_needs_approval",
    "quote_send",
    "quote_submit",
    "quote_update",
    "receipt_delete",
    "receipt_record",
    "regrade_all",
    "win_blocker",
]
