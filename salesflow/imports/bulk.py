"""The bulk path for large customer imports.

A customer file with more rows than the ``import.bulk_min_rows`` setting is written per chunk
of ``BULK_CHUNK_ROWS`` rows instead of one service call per row. Each row still passes the
same checks as ``customers.services.customer_create`` — the same functions are called: field
parsing and value maps (``engine.parse_row``), owner assignment rights
(``_owner_must_be_assignable``), normalised keys (``_set_keys``), PII rejection and model
validation, grading (``grade_for_amount``/``tier_for_amount``). What changes is how the chunk
reaches the database:

- duplicates against the database are found with ONE query per chunk (customers by
  ``name_key``/``phone_key``, contacts by ``phone_key``, open leads by ``name_key``/
  ``phone_key``), duplicates inside the file from the keys of the rows already taken;
- the new customers, their first grade change and their ownership event are written with
  ``bulk_create``;
- one audit entry per chunk, on the import run, lists the created customer ids (instead of
  one ``customer.create`` entry per customer).

Rows the bulk path does not decide itself go through the service path (``engine._write_row``)
one by one, after the rows taken so far were written, so they see the same database as they
would on the service path: "update" of an existing customer, and a row whose phone (or name)
matches a contact, a lead or another customer's phone under "skip"/"update" (the service then
reports the duplicate with its usual message). ``customer_create`` emits no event, so there is
none to emit in bulk either; the cadence due date of a new customer stays empty on both paths.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import connections, router
from django.db.models import CharField, F, Q, Value
from django.utils import timezone

from salesflow.core.audit import audit
from salesflow.core.errors import DomainError, ValidationError
from salesflow.core.normalize import normalize_company_name
from salesflow.core.pii import reject_sensitive
from salesflow.core.settings_registry import get_setting

BULK_CHUNK_ROWS = 2000


def bulk_writer(entity, row_count: int):
    """The chunk writer to use for this import, or None for the service path."""
    writer = BULK_WRITERS.get(entity.key)
    if writer is None or row_count <= int(get_setting("import.bulk_min_rows")):
        return None
    return writer


def insert_rows(model, objs: list, *, with_ids: bool = False) -> list:
    """Insert model instances in one statement. On PostgreSQL with ``COPY`` (ids, when asked
    for, drawn from the table's sequence in one query first), elsewhere with ``bulk_create``.
    The instances are taken as they are: defaults and ``auto_now`` filled, validated by the
    caller (``bulk_create`` does no validation either)."""
    if not objs:
        return objs
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objs)
    meta = model._meta
    quote = connection.ops.quote_name
    fields = [f for f in meta.concrete_fields if with_ids or not f.primary_key]
    stamped = [
        f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    for obj in objs:
        for f in stamped:
            f.pre_save(obj, True)
    with connection.cursor() as cursor:
        if with_ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(objs)],
            )
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk
        columns = ", ".join(quote(f.column) for f in fields)
        attnames = [f.attname for f in fields]
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([getattr(obj, name) for name in attnames])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def insert_values(model, rows: list[dict]) -> None:
    """Insert plain rows (attribute name → value, every column but the id given) in one
    statement: ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere. For the history rows that
    go with a chunk (grade changes, ownership events, imported-record list), which need no
    model instance of their own."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows])
        return
    quote = connection.ops.quote_name
    names = list(rows[0])
    column_of = {f.attname: f.column for f in model._meta.concrete_fields}
    columns = ", ".join(quote(column_of[n]) for n in names)
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row([row[n] for n in names])


def _text(value) -> Value:
    return Value(value, output_field=CharField())


def _existing_keys(name_keys: set[str], phone_keys: set[str]) -> list[tuple]:
    """(kind, id, name, name_key, phone_key) of every customer, contact and open lead sharing
    a key with the chunk — one UNION query on the indexed key columns."""
    from salesflow.customers.models import Contact, Customer
    from salesflow.leads.models import Lead, LeadStatus

    names, phones = sorted(name_keys), sorted(phone_keys)
    connection = connections[router.db_for_read(Customer)]
    if connection.vendor == "postgresql":
        # The same three lookups as below, with the keys passed as two arrays: a chunk's
        # 2,000 keys as 2,000 placeholders cost more to send than the query takes to run.
        tables = {m: connection.ops.quote_name(m._meta.db_table) for m in (Customer, Contact, Lead)}
        sql = f"""
            SELECT 'customer', id, name, name_key, phone_key FROM {tables[Customer]}
             WHERE deleted_at IS NULL AND (name_key = ANY(%s) OR phone_key = ANY(%s))
            UNION ALL
            SELECT 'contact', customer_id, '', '', phone_key FROM {tables[Contact]}
             WHERE deleted_at IS NULL AND phone_key = ANY(%s)
            UNION ALL
            SELECT 'lead', id, company_name, name_key, phone_key FROM {tables[Lead]}
             WHERE deleted_at IS NULL AND status <> %s
               AND (name_key = ANY(%s) OR phone_key = ANY(%s))
        """
        params = [names, phones, phones, LeadStatus.INVALID.value, names, phones]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    customers = Customer.objects.filter(Q(name_key__in=names) | Q(phone_key__in=phones))
    contacts = Contact.objects.filter(phone_key__in=phones)
    leads = Lead.objects.filter(Q(name_key__in=names) | Q(phone_key__in=phones)).exclude(
        status=LeadStatus.INVALID
    )
    columns = ("kind", "oid", "oname", "okey", "ophone")
    union = (
        customers.annotate(
            kind=_text("customer"),
            oid=F("id"),
            oname=F("name"),
            okey=F("name_key"),
            ophone=F("phone_key"),
        )
        .values_list(*columns)
        .order_by()
        .union(
            contacts.annotate(
                kind=_text("contact"),
                oid=F("customer_id"),
                oname=_text(""),
                okey=_text(""),
                ophone=F("phone_key"),
            )
            .values_list(*columns)
            .order_by(),
            leads.annotate(
                kind=_text("lead"),
                oid=F("id"),
                oname=F("company_name"),
                okey=F("name_key"),
                ophone=F("phone_key"),
            )
            .values_list(*columns)
            .order_by(),
            all=True,
        )
    )
    return list(union)


class _Chunk:
    """The state of one chunk: what the database holds for its keys, what was taken so far."""

    def __init__(self, rows):
        self.customer_by_name: dict[str, tuple[int, str]] = {}  # name_key → (min id, name)
        self.phones: set[str] = set()  # customer and contact phone keys
        self.lead_names: set[str] = set()
        self.lead_phones: set[str] = set()
        self.load(rows)

    def load(self, rows) -> None:
        self.customer_by_name.clear()
        self.phones.clear()
        self.lead_names.clear()
        self.lead_phones.clear()
        for kind, oid, name, key, phone in rows:
            if kind == "customer":
                if key and (
                    key not in self.customer_by_name or oid < self.customer_by_name[key][0]
                ):
                    self.customer_by_name[key] = (oid, name)
                if phone:
                    self.phones.add(phone)
            elif kind == "contact":
                if phone:
                    self.phones.add(phone)
            else:
                if key:
                    self.lead_names.add(key)
                if phone:
                    self.lead_phones.add(phone)


def import_customer_chunk(entity, profile, chunk, ctx) -> list:
    """Import one chunk of customer rows; the outcomes in row order, as ``engine.import_row``
    would have given them one by one."""
    from salesflow.core.scope import has_right
    from salesflow.customers import services as customer_services
    from salesflow.customers.models import Customer, GradeChange, GradeSource, OwnershipEvent
    from salesflow.customers.rules import grade_for_amount, tier_for_amount

    from .engine import RowOutcome, _write_row, error_outcome, import_row, parse_row
    from .entities.customers import split_owner

    actor = ctx.actor
    if not has_right(actor, "customer", "add"):  # every row fails in the service, as it says
        return [import_row(entity, profile, number, cells, ctx) for number, cells in chunk]
    labels = {f.name: str(f.label) for f in entity.fields}
    policy = profile.duplicates
    acting_user = actor if getattr(actor, "pk", None) else None
    outcomes: list = [None] * len(chunk)
    owner_checks = ctx.cached("bulk_owner_checks", "", dict)

    # 1. parse and build every row as customer_create would (nothing written yet)
    parsed = []
    for i, (number, cells) in enumerate(chunk):
        values, errors, hits = parse_row(entity, profile, cells, ctx)
        if errors:
            outcomes[i] = RowOutcome(
                number,
                "failed",
                {labels.get(k, k): v for k, v in errors.items()},
                cells=cells,
                hits=hits,
            )
            continue
        data, owner = split_owner(values)
        owner = owner if owner is not None else acting_user
        customer, failure = None, None
        try:
            owner_key = getattr(owner, "pk", None)
            if owner_key not in owner_checks:
                try:
                    customer_services._owner_must_be_assignable(actor, owner)
                    owner_checks[owner_key] = None
                except (ValidationError, DomainError, PermissionDenied) as exc:
                    owner_checks[owner_key] = exc
            if owner_checks[owner_key] is not None:
                raise owner_checks[owner_key]
            customer = Customer(
                **{k: v for k, v in data.items() if k in customer_services.CUSTOMER_FIELDS}
            )
            customer.owner = owner
            customer.created_by = acting_user
            customer.source_lead_id = None
            if owner is not None:
                customer.owned_since = timezone.now()
                customer.team = customer.team or owner.department
            customer_services._set_keys(customer)
            reject_sensitive(
                {f: getattr(customer, f) or "" for f in customer_services.CUSTOMER_TEXT_FIELDS}
            )
            # industry and region come from their lists and the team from the owner, all read
            # from the database in this run: their existence needs no query per row.
            customer.full_clean(
                exclude=["owner", "created_by", "pool", "deleted_by", "industry", "region", "team"]
            )
            customer.grade = grade_for_amount(customer.expected_annual_value)
            customer.grade_source = GradeSource.EXPECTED
            customer.tier = tier_for_amount(customer.expected_annual_value)
        except Exception as exc:
            failure = error_outcome(exc, number, cells, labels)
            if failure is None:
                raise
            customer = None
        if customer is not None:
            keys = (customer.name_key, customer.phone_key)
        else:
            keys = (normalize_company_name(values.get("name") or ""), "")
        parsed.append((i, number, cells, values, hits, customer, failure, *keys))

    # 2. one query for what the database already holds under the chunk's keys
    name_keys = {p[7] for p in parsed} - {""}
    phone_keys = {p[8] for p in parsed} - {""}
    known = _Chunk(_existing_keys(name_keys, phone_keys) if (name_keys or phone_keys) else [])

    pending: list = []  # (i, number, hits, customer) taken, not yet written
    pending_names: dict[str, object] = {}
    pending_phones: set[str] = set()
    skipped_on: list = []  # (i, number, customer id or pending customer)
    created_ids: list[int] = []
    stale = False

    def flush():
        if not pending:
            return
        objs = insert_rows(Customer, [p[3] for p in pending], with_ids=True)
        now = timezone.now()
        actor_id = getattr(acting_user, "pk", None)
        insert_values(
            GradeChange,
            [
                {
                    "customer_id": c.pk,
                    "from_grade": "",
                    "to_grade": c.grade,
                    "source": GradeSource.EXPECTED.value,
                    "amount": c.expected_annual_value,
                    "reason": "",
                    "actor_id": actor_id,
                    "at": now,
                }
                for c in objs
            ],
        )
        insert_values(
            OwnershipEvent,
            [
                {
                    "customer_id": c.pk,
                    "kind": OwnershipEvent.Kind.CREATE.value,
                    "from_owner_id": None,
                    "to_owner_id": c.owner_id,
                    "pool_id": None,
                    "reason": "",
                    "actor_id": actor_id,
                    "at": now,
                }
                for c in objs
            ],
        )
        for (i, number, hits, _c), obj in zip(pending, objs, strict=True):
            outcomes[i] = RowOutcome(
                number, "created", records=[("customers.customer", obj.pk, "created")], hits=hits
            )
            created_ids.append(obj.pk)
            known.customer_by_name.setdefault(obj.name_key, (obj.pk, obj.name))
            if obj.phone_key:
                known.phones.add(obj.phone_key)
        pending.clear()
        pending_names.clear()
        pending_phones.clear()
        ctx.forget("customer")

    def through_service(i, number, cells, values, hits):
        nonlocal stale
        flush()
        outcome = _write_row(entity, profile, number, cells, values, ctx)
        outcome.hits = hits
        outcomes[i] = outcome
        if outcome.status in ("created", "updated"):
            stale = True  # the keys it wrote are read again before the next row

    # 3. every row in file order, with the service path's order of checks
    for index, row in enumerate(parsed):
        i, number, cells, values, hits, customer, failure, name_key, phone_key = row
        if stale:
            rest = parsed[index:]
            names = {p[7] for p in rest} - {""}
            phones = {p[8] for p in rest} - {""}
            known.load(_existing_keys(names, phones))
            stale = False
        existing = known.customer_by_name.get(name_key)
        taken = pending_names.get(name_key)
        if (existing or taken) and policy == "skip":
            skipped_on.append((i, number, existing[0] if existing else taken))
            continue
        if (existing or taken) and policy == "update":
            through_service(i, number, cells, values, hits)
            continue
        if failure is not None:
            outcomes[i] = failure
            continue
        if policy != "create" and (
            phone_key in known.phones
            or phone_key in pending_phones
            or name_key in known.lead_names
            or phone_key in known.lead_phones
        ):
            through_service(i, number, cells, values, hits)
            continue
        pending.append((i, number, hits, customer))
        pending_names.setdefault(name_key, customer)
        if phone_key:
            pending_phones.add(phone_key)
    flush()

    # 4. the skipped rows name the record they duplicate, if the importing user may see it
    if skipped_on:
        ids = {s[2] if isinstance(s[2], int) else s[2].pk for s in skipped_on}
        rows = dict(Customer.objects.filter(pk__in=ids).values_list("pk", "name"))
        visible = set(
            Customer.objects.restrict(actor, "view").filter(pk__in=ids).values_list("pk", flat=True)
        )
        from django.utils.translation import gettext as _

        for i, number, target in skipped_on:
            pk = target if isinstance(target, int) else target.pk
            what = rows.get(pk, "") if pk in visible else _("（不在你的数据范围内）")
            outcomes[i] = RowOutcome(
                number, "skipped", message=_("已存在：%(what)s") % {"what": what}
            )

    if created_ids:
        run = getattr(ctx, "run", None)
        audit(
            actor=actor,
            action="customer.bulk_create",
            obj=run,
            after={"customer_ids": created_ids},
            message=f"{chunk[0][0]}–{chunk[-1][0]}",
        )
    return outcomes


BULK_WRITERS = {"customer": import_customer_chunk}
