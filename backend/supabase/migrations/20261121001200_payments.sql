-- Living-bill payments (water, electricity, gas) that never charge twice.
--
--   provider_accounts  the providers' own account data (number, holder, address), filled by the
--                      bill import; readable by the service role only (never enumerable).
--   utility_accounts   a person's link to a provider account, made only by link_utility_account
--                      after the account number and the holder's name match provider_accounts.
--   bills              what a provider bills an account for a period (integer fen, due date).
--   payments           one attempt to pay one bill: created -> pending -> succeeded | failed | expired,
--                      or refunded when the money arrived for a bill that another payment had paid.
--   payment_ledger     append-only money movements (charge, refund); nobody updates or deletes them.
--
-- Guarantees, held by the database for every client:
--   * create_payment(bill, idempotency_key): the same (payer, key) is always the same payment
--     (unique index; insert ... on conflict do nothing, then select), the amount is the bill's;
--   * payments_one_live_per_bill: at most one pending or succeeded payment per bill, so a second
--     checkout is refused (PT409) and a second success is refunded, never kept;
--   * only settle_payment (service role: the gateway after it verified the provider's signed
--     notification, or the reconciliation job after asking the provider) marks a bill paid; it
--     refuses an amount that differs from the payment's and a notification nonce seen before, and
--     is idempotent: a repeated, late or out-of-order notification leaves the same final state.
-- Errors: PT400 bad argument or amount mismatch, PT403 not allowed, PT404 not found (or not
-- visible), PT409 state conflict (bill paid, payment in progress, replayed notification).

-- Types ------------------------------------------------------------------
create type public.utility_kind as enum ('water', 'electricity', 'gas');
create type public.bill_status as enum ('unpaid', 'paid', 'cancelled');
create type public.payment_status as enum ('created', 'pending', 'succeeded', 'failed', 'expired', 'refunded');
create type public.ledger_entry_kind as enum ('charge', 'refund');
comment on type public.payment_status is 'created -> pending (checkout opened) -> succeeded | failed | expired; refunded when paid twice.';

-- Tables -----------------------------------------------------------------
create table public.provider_accounts (
  provider text not null check (provider ~ '^[a-z0-9_]{2,40}$'),
  account_no text not null check (account_no ~ '^[0-9A-Za-z-]{4,32}$'),
  kind public.utility_kind not null,
  holder_name text not null check (length(holder_name) between 1 and 100),
  address text not null check (length(address) between 1 and 300),
  updated_at timestamptz not null default now(),
  primary key (provider, account_no)
);
comment on table public.provider_accounts is 'The utility providers'' account data, from the bill import. Service role only: people prove they hold an account through link_utility_account.';

create table private.utility_link_misses (
  user_id uuid not null references auth.users (id) on delete cascade,
  missed_at timestamptz not null default now()
);
comment on table private.utility_link_misses is 'Failed link_utility_account attempts, for its per-person throttle. Not exposed through the API.';
create index utility_link_misses_user_time on private.utility_link_misses (user_id, missed_at);

create table public.utility_accounts (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  provider text not null,
  account_no text not null,
  kind public.utility_kind not null,
  address text not null,
  label text check (length(label) <= 40),
  verified_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  unique (user_id, provider, account_no),
  foreign key (provider, account_no) references public.provider_accounts (provider, account_no) on delete cascade
);
comment on table public.utility_accounts is 'A person''s verified link to a utility account (several people of a household may link the same account). Made by link_utility_account; people read and unlink their own.';

create table public.bills (
  id uuid primary key default gen_random_uuid(),
  provider text not null,
  account_no text not null,
  kind public.utility_kind not null,
  period text not null check (period ~ '^[0-9]{4}-[0-9]{2}$'),
  amount_fen integer not null check (amount_fen > 0),
  due_date date not null,
  status public.bill_status not null default 'unpaid',
  paid_at timestamptz,
  payment_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (provider, account_no, period),
  foreign key (provider, account_no) references public.provider_accounts (provider, account_no) on delete cascade,
  constraint bills_paid_has_payment check ((status = 'paid') = (payment_id is not null and paid_at is not null))
);
comment on table public.bills is 'A provider''s bill for one account and period (YYYY-MM), in integer fen. Only settle_payment marks it paid.';

create table public.payments (
  id uuid primary key default gen_random_uuid(),
  bill_id uuid not null references public.bills (id) on delete restrict,
  payer_id uuid not null references auth.users (id) on delete restrict,
  amount_fen integer not null check (amount_fen > 0),
  idempotency_key text not null check (length(idempotency_key) between 8 and 100),
  provider text check (provider ~ '^[a-z0-9_]{2,40}$'),
  provider_ref text,
  checkout_url text,
  status public.payment_status not null default 'created',
  failure_reason text check (length(failure_reason) <= 300),
  receipt_no text unique,
  pending_at timestamptz,
  settled_at timestamptz,
  refund_ref text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (payer_id, idempotency_key),
  unique (provider, provider_ref)
);
comment on table public.payments is 'One attempt to pay a bill, under a client-chosen idempotency key unique per payer. Written only by the payment RPCs.';
comment on column public.payments.provider is 'The payment provider (sandbox, wechat_pay, alipay, unionpay), set when the checkout opens; bills.provider is the utility.';
comment on column public.payments.refund_ref is 'The provider''s refund reference once a refunded payment''s money went back; null while the refund is still owed.';

create table public.payment_ledger (
  id bigint generated always as identity primary key,
  payment_id uuid not null references public.payments (id) on delete restrict,
  bill_id uuid not null references public.bills (id) on delete restrict,
  payer_id uuid not null references auth.users (id) on delete restrict,
  kind public.ledger_entry_kind not null,
  amount_fen integer not null check (amount_fen > 0),
  provider text not null,
  provider_ref text,
  created_at timestamptz not null default now()
);
comment on table public.payment_ledger is 'Append-only money movements: a charge when a payment succeeded (or arrived twice), a refund when it goes back.';

create table private.payment_notifications (
  provider text not null,
  nonce text not null check (length(nonce) between 8 and 100),
  provider_ref text not null,
  outcome text not null,
  amount_fen integer not null,
  received_at timestamptz not null default now(),
  primary key (provider, nonce)
);
comment on table private.payment_notifications is 'Every accepted provider notification, by nonce: a nonce seen before is a replay and refused.';

-- Indexes ----------------------------------------------------------------
create unique index payments_one_live_per_bill on public.payments (bill_id) where status in ('pending', 'succeeded');
create index payments_bill_id_idx on public.payments (bill_id);
create index payments_open_idx on public.payments (status, created_at) where status in ('created', 'pending');
create index payments_owed_refund_idx on public.payments (id) where status = 'refunded' and refund_ref is null;
create index utility_accounts_account_idx on public.utility_accounts (provider, account_no);
create index bills_due_idx on public.bills (due_date) where status = 'unpaid';
create index payment_ledger_payment_id_idx on public.payment_ledger (payment_id);
create index payment_ledger_payer_id_idx on public.payment_ledger (payer_id);
create index payment_ledger_bill_id_idx on public.payment_ledger (bill_id);
create index payment_notifications_received_at_idx on private.payment_notifications (received_at);

-- Functions --------------------------------------------------------------
create function private.holds_account(p_provider text, p_account_no text) returns boolean
language sql stable
security definer set search_path = ''
as $$
  select exists (select 1 from public.utility_accounts ua
                 where ua.user_id = auth.uid() and ua.provider = p_provider and ua.account_no = p_account_no)
$$;
comment on function private.holds_account(text, text) is 'Whether the caller has linked this provider account.';

create function private.require_service(action text) returns void
language plpgsql
security definer set search_path = ''
as $$
begin
  if not private.is_service() then
    raise exception 'only the payment backend may %', action using errcode = 'PT403';
  end if;
end
$$;
comment on function private.require_service(text) is 'PT403 unless the caller is the service role.';

create function public.link_utility_account(kind public.utility_kind, provider text, account_no text, holder_name text)
returns public.utility_accounts
language plpgsql
security definer set search_path = ''
as $$
declare
  acct public.provider_accounts;
  linked public.utility_accounts;
begin
  if auth.uid() is null then
    raise exception 'sign in to link an account' using errcode = 'PT401';
  end if;
  if coalesce(btrim(account_no), '') = '' or coalesce(btrim(holder_name), '') = '' or coalesce(provider, '') = '' then
    raise exception 'account number and holder name are required' using errcode = 'PT400';
  end if;
  -- Guessing holders' names account by account is throttled per person.
  if (select count(*) from private.utility_link_misses m
      where m.user_id = auth.uid() and m.missed_at > now() - interval '15 minutes') >= 5 then
    raise exception 'too many attempts to link an account; try again in 15 minutes' using errcode = 'PT429';
  end if;
  select * into acct from public.provider_accounts pa
  where pa.provider = link_utility_account.provider and pa.account_no = upper(btrim(link_utility_account.account_no))
    and pa.kind = link_utility_account.kind
    and lower(regexp_replace(pa.holder_name, '\s', '', 'g')) = lower(regexp_replace(link_utility_account.holder_name, '\s', '', 'g'));
  if acct.account_no is null then
    -- One answer for "no such account" and "wrong name": the number alone reveals nothing. An answer,
    -- not an error: an error would roll back the miss that the throttle above counts.
    insert into private.utility_link_misses (user_id) values (auth.uid());
    return null;
  end if;
  insert into public.utility_accounts (user_id, provider, account_no, kind, address)
  values (auth.uid(), acct.provider, acct.account_no, acct.kind, acct.address)
  on conflict on constraint utility_accounts_user_id_provider_account_no_key do nothing
  returning * into linked;
  if linked.id is null then
    select * into linked from public.utility_accounts ua
    where ua.user_id = auth.uid() and ua.provider = acct.provider and ua.account_no = acct.account_no;
  end if;
  return linked;
end
$$;
comment on function public.link_utility_account(public.utility_kind, text, text, text) is 'Link a utility account after its number and holder name match the provider''s data; null when nothing matches (the same for a wrong number and a wrong name), PT429 after 5 misses in 15 minutes; linking again returns the link.';

create function public.create_payment(bill uuid, idempotency_key text) returns public.payments
language plpgsql
security definer set search_path = ''
as $$
declare
  b public.bills;
  p public.payments;
begin
  if auth.uid() is null then
    raise exception 'sign in to pay' using errcode = 'PT401';
  end if;
  if idempotency_key is null or length(idempotency_key) not between 8 and 100 then
    raise exception 'idempotency_key must be 8 to 100 characters' using errcode = 'PT400';
  end if;
  -- The key first: a retry of a request that already worked answers the same payment even when
  -- the bill has been paid by it since.
  select * into p from public.payments x where x.payer_id = auth.uid() and x.idempotency_key = create_payment.idempotency_key;
  if p.id is null then
    select * into b from public.bills x where x.id = bill;
    if b.id is null or not private.holds_account(b.provider, b.account_no) then
      raise exception 'bill % not found', bill using errcode = 'PT404';
    end if;
    if b.status <> 'unpaid' then
      raise exception 'this bill is already %', b.status using errcode = 'PT409';
    end if;
    insert into public.payments (bill_id, payer_id, amount_fen, idempotency_key)
    values (b.id, auth.uid(), b.amount_fen, create_payment.idempotency_key)
    on conflict on constraint payments_payer_id_idempotency_key_key do nothing
    returning * into p;
    if p.id is null then  -- a concurrent request with the same key won: answer its payment
      select * into p from public.payments x where x.payer_id = auth.uid() and x.idempotency_key = create_payment.idempotency_key;
    end if;
  end if;
  if p.bill_id <> bill then
    raise exception 'this idempotency key was used for another bill' using errcode = 'PT409';
  end if;
  return p;
end
$$;
comment on function public.create_payment(uuid, text) is 'The payer''s payment of a bill under an idempotency key: the same key always answers the same payment; the amount is the bill''s.';

create function public.start_checkout(payment uuid, provider text, provider_ref text, checkout_url text) returns public.payments
language plpgsql
security definer set search_path = ''
as $$
declare
  p public.payments;
begin
  perform private.require_service('open a checkout');
  select * into p from public.payments x where x.id = payment for update;
  if p.id is null then
    raise exception 'payment % not found', payment using errcode = 'PT404';
  end if;
  if p.status = 'pending' and p.provider = start_checkout.provider and p.provider_ref = start_checkout.provider_ref then
    return p;  -- the same checkout again
  end if;
  if p.status <> 'created' then
    raise exception 'this payment is already %', p.status using errcode = 'PT409';
  end if;
  begin
    update public.payments x set status = 'pending', provider = start_checkout.provider, provider_ref = start_checkout.provider_ref,
      checkout_url = start_checkout.checkout_url, pending_at = now()
    where x.id = p.id returning * into p;
  exception when unique_violation then
    raise exception 'another payment of this bill is in progress or done' using errcode = 'PT409';
  end;
  return p;
end
$$;
comment on function public.start_checkout(uuid, text, text, text) is 'Service role: the provider opened a checkout for a created payment; PT409 when another payment of the bill is pending or succeeded.';

create function private.record_ledger(p public.payments, entry public.ledger_entry_kind) returns void
language sql
security definer set search_path = ''
as $$
  insert into public.payment_ledger (payment_id, bill_id, payer_id, kind, amount_fen, provider, provider_ref)
  values (p.id, p.bill_id, p.payer_id, entry, p.amount_fen, p.provider, p.provider_ref)
$$;
comment on function private.record_ledger(public.payments, public.ledger_entry_kind) is 'Appends one ledger entry for a payment.';

create function public.settle_payment(provider text, provider_ref text, outcome text, amount_fen integer,
                                      nonce text default null, reason text default null) returns jsonb
language plpgsql
security definer set search_path = ''
as $$
declare
  p public.payments;
  b public.bills;
  action text := 'unchanged';
begin
  perform private.require_service('settle a payment');
  if outcome not in ('succeeded', 'failed', 'expired') then
    raise exception 'unknown outcome %', outcome using errcode = 'PT400';
  end if;
  select * into p from public.payments x
  where x.provider = settle_payment.provider and x.provider_ref = settle_payment.provider_ref for update;
  if p.id is null then
    raise exception 'no payment with this provider reference' using errcode = 'PT404';
  end if;
  if amount_fen is distinct from p.amount_fen then
    raise exception 'amount % does not match the payment''s %', amount_fen, p.amount_fen using errcode = 'PT400';
  end if;
  if nonce is not null then
    insert into private.payment_notifications (provider, nonce, provider_ref, outcome, amount_fen)
    values (settle_payment.provider, nonce, settle_payment.provider_ref, outcome, amount_fen)
    on conflict do nothing;
    if not found then
      raise exception 'notification already received (nonce reused)' using errcode = 'PT409';
    end if;
  end if;

  if outcome = 'succeeded' then
    if p.status in ('succeeded', 'refunded') then
      action := case when p.status = 'refunded' and p.refund_ref is null then 'refund' else 'unchanged' end;
    else
      -- The money arrived (also after failed or expired: the provider's word on money is final).
      select * into b from public.bills x where x.id = p.bill_id for update;
      if b.status = 'paid' or exists (select 1 from public.payments o where o.bill_id = p.bill_id and o.id <> p.id
                                      and o.status in ('pending', 'succeeded')) then
        update public.payments x set status = 'refunded', settled_at = now(),
          failure_reason = 'the bill was already paid or being paid: refunded'
        where x.id = p.id returning * into p;
        perform private.record_ledger(p, 'charge');
        perform private.record_ledger(p, 'refund');
        action := 'refund';
      else
        update public.payments x set status = 'succeeded', settled_at = now(), failure_reason = null,
          receipt_no = 'R' || to_char(now() at time zone 'Asia/Shanghai', 'YYYYMMDD') || '-' || upper(substr(replace(p.id::text, '-', ''), 1, 12))
        where x.id = p.id returning * into p;
        update public.bills x set status = 'paid', paid_at = now(), payment_id = p.id where x.id = b.id;
        perform private.record_ledger(p, 'charge');
        perform private.notify(p.payer_id, 'payment_succeeded', '缴费成功', 'Payment received', null,
                               jsonb_build_object('payment_id', p.id, 'bill_id', p.bill_id, 'amount_fen', p.amount_fen));
        action := 'settled';
      end if;
    end if;
  elsif p.status in ('created', 'pending') then
    update public.payments x set status = outcome::public.payment_status, settled_at = now(),
      failure_reason = left(coalesce(reason, outcome), 300)
    where x.id = p.id returning * into p;
    action := 'settled';
  end if;
  return jsonb_build_object('action', action, 'payment', to_jsonb(p));
end
$$;
comment on function public.settle_payment(text, text, text, integer, text, text) is 'Service role: apply the provider''s verified word on a payment (succeeded, failed, expired). Idempotent; refuses a wrong amount (PT400) and a reused nonce (PT409); a success for a bill already paid becomes a refund (action refund).';

create function public.record_refund(payment uuid, refund_ref text) returns public.payments
language plpgsql
security definer set search_path = ''
as $$
declare
  p public.payments;
begin
  perform private.require_service('record a refund');
  update public.payments x set refund_ref = coalesce(x.refund_ref, record_refund.refund_ref)
  where x.id = payment and x.status = 'refunded' returning * into p;
  if p.id is null then
    raise exception 'no refunded payment %', payment using errcode = 'PT404';
  end if;
  return p;
end
$$;
comment on function public.record_refund(uuid, text) is 'Service role: the provider confirmed the refund of a refunded payment.';

create function public.expire_stale_payments(created_older_than_s integer default 1800) returns integer
language plpgsql
security definer set search_path = ''
as $$
declare
  n integer;
begin
  perform private.require_service('expire payments');
  update public.payments x set status = 'expired', settled_at = now(), failure_reason = 'checkout never opened'
  where x.status = 'created' and x.created_at < now() - make_interval(secs => created_older_than_s);
  get diagnostics n = row_count;
  return n;
end
$$;
comment on function public.expire_stale_payments(integer) is 'Service role: payments created but never taken to a checkout expire after the given seconds.';

create function public.import_bills(rows jsonb) returns jsonb
language plpgsql
security definer set search_path = ''
as $$
declare
  r jsonb;
  i integer := 0;
  added integer := 0;
  accounts integer := 0;
  kind public.utility_kind;
begin
  perform private.require_service('import bills');
  if jsonb_typeof(rows) <> 'array' then
    raise exception 'rows must be a JSON array' using errcode = 'PT400';
  end if;
  for r in select * from jsonb_array_elements(rows) loop
    i := i + 1;
    begin
      kind := (r ->> 'kind')::public.utility_kind;
      insert into public.provider_accounts (provider, account_no, kind, holder_name, address)
      values (r ->> 'provider', upper(btrim(r ->> 'account_no')), kind, btrim(r ->> 'holder_name'), btrim(r ->> 'address'))
      on conflict (provider, account_no) do update
        set holder_name = excluded.holder_name, address = excluded.address, kind = excluded.kind, updated_at = now();
      accounts := accounts + 1;
      insert into public.bills (provider, account_no, kind, period, amount_fen, due_date)
      values (r ->> 'provider', upper(btrim(r ->> 'account_no')), kind, r ->> 'period',
              (r ->> 'amount_fen')::integer, (r ->> 'due_date')::date)
      on conflict (provider, account_no, period) do nothing;
      if found then
        added := added + 1;
      end if;
    exception when invalid_text_representation or check_violation or not_null_violation
                   or invalid_datetime_format or datetime_field_overflow or numeric_value_out_of_range then
      raise exception 'row %: %', i, sqlerrm using errcode = 'PT400';
    end;
  end loop;
  return jsonb_build_object('rows', i, 'accounts', accounts, 'bills_added', added, 'bills_existing', i - added);
end
$$;
comment on function public.import_bills(jsonb) is 'Service role: a provider''s accounts and bills (JSON array of {provider, kind, account_no, holder_name, address, period, amount_fen, due_date}); a bill already imported stays as it is. All rows or none.';

create function public.payments_to_reconcile(older_than_s integer default 60) returns jsonb
language plpgsql stable
security definer set search_path = ''
as $$
begin
  perform private.require_service('reconcile payments');
  return coalesce((select jsonb_agg(to_jsonb(x) order by x.created_at) from public.payments x
                   where (x.status = 'pending' and x.pending_at < now() - make_interval(secs => older_than_s))
                      or (x.status = 'refunded' and x.refund_ref is null)), '[]'::jsonb);
end
$$;
comment on function public.payments_to_reconcile(integer) is 'Service role: payments pending for longer than the given seconds (their notification may be lost) and refunds still owed.';

create function public.send_bill_reminders(days_ahead integer default 3) returns integer
language plpgsql
security definer set search_path = ''
as $$
declare
  n integer;
begin
  perform private.require_service('send reminders');
  insert into public.notifications (user_id, kind, title_zh, title_en, payload)
  select ua.user_id, 'bill_due',
         case b.kind when 'water' then '水费' when 'electricity' then '电费' else '燃气费' end
           || '账单将于 ' || to_char(b.due_date, 'MM-DD') || ' 到期',
         initcap(b.kind::text) || ' bill due on ' || to_char(b.due_date, 'Mon DD'),
         jsonb_build_object('bill_id', b.id, 'due_date', b.due_date, 'amount_fen', b.amount_fen, 'kind', b.kind)
  from public.bills b
  join public.utility_accounts ua on ua.provider = b.provider and ua.account_no = b.account_no
  where b.status = 'unpaid' and b.due_date <= current_date + days_ahead
    and not exists (select 1 from public.notifications n
                    where n.user_id = ua.user_id and n.kind = 'bill_due' and n.payload ->> 'bill_id' = b.id::text);
  get diagnostics n = row_count;
  return n;
end
$$;
comment on function public.send_bill_reminders(integer) is 'Service role: one notification per person and unpaid bill due within days_ahead days (or overdue), never twice.';

-- RLS --------------------------------------------------------------------
alter table public.provider_accounts enable row level security;
alter table public.utility_accounts enable row level security;
alter table public.bills enable row level security;
alter table public.payments enable row level security;
alter table public.payment_ledger enable row level security;

-- Policies ---------------------------------------------------------------
-- provider_accounts: no policy at all, only the service role (which bypasses RLS) reads it.
create policy "People can read their own utility accounts" on public.utility_accounts for select to authenticated
  using (user_id = auth.uid());
create policy "People can unlink their own utility accounts" on public.utility_accounts for delete to authenticated
  using (user_id = auth.uid());
create policy "People can read the bills of accounts they linked" on public.bills for select to authenticated
  using (private.holds_account(provider, account_no));
create policy "Payers can read the bills they paid or tried to pay" on public.bills for select to authenticated
  using (exists (select 1 from public.payments p where p.bill_id = bills.id and p.payer_id = auth.uid()));
create policy "Payers can read their own payments" on public.payments for select to authenticated
  using (payer_id = auth.uid());
create policy "Payers can read their own ledger entries" on public.payment_ledger for select to authenticated
  using (payer_id = auth.uid());

-- Grants -----------------------------------------------------------------
revoke all on public.provider_accounts, public.utility_accounts, public.bills, public.payments, public.payment_ledger
  from anon, authenticated;
revoke all on private.payment_notifications from public, anon, authenticated;
-- Select for everyone, rows only by the policies above (provider_accounts: none, so always empty).
grant select on public.provider_accounts, public.utility_accounts, public.bills, public.payments, public.payment_ledger
  to anon, authenticated;
grant delete on public.utility_accounts to authenticated;
grant all on public.provider_accounts, public.utility_accounts, public.bills, public.payments to service_role;
grant select, insert on public.payment_ledger to service_role;

revoke execute on function private.holds_account(text, text), private.require_service(text),
  private.record_ledger(public.payments, public.ledger_entry_kind) from public;
grant execute on function private.holds_account(text, text) to authenticated, service_role;
revoke execute on function public.link_utility_account(public.utility_kind, text, text, text),
  public.create_payment(uuid, text) from public, anon;
grant execute on function public.link_utility_account(public.utility_kind, text, text, text),
  public.create_payment(uuid, text) to authenticated;
revoke execute on function public.start_checkout(uuid, text, text, text),
  public.settle_payment(text, text, text, integer, text, text), public.record_refund(uuid, text),
  public.expire_stale_payments(integer), public.import_bills(jsonb), public.send_bill_reminders(integer),
  public.payments_to_reconcile(integer)
  from public, anon, authenticated;
grant execute on function public.start_checkout(uuid, text, text, text),
  public.settle_payment(text, text, text, integer, text, text), public.record_refund(uuid, text),
  public.expire_stale_payments(integer), public.import_bills(jsonb), public.send_bill_reminders(integer),
  public.payments_to_reconcile(integer)
  to service_role;

-- Triggers ---------------------------------------------------------------
create trigger bills_touch_updated_at before update on public.bills
  for each row execute function private.touch_updated_at();
create trigger payments_touch_updated_at before update on public.payments
  for each row execute function private.touch_updated_at();
create trigger payment_ledger_append_only before update or delete on public.payment_ledger
  for each row execute function private.refuse_change();
create trigger payment_ledger_no_truncate before truncate on public.payment_ledger
  for each statement execute function private.refuse_change();

-- Realtime ---------------------------------------------------------------
alter publication supabase_realtime add table public.bills, public.payments;
