-- Demo bills: three utilities' account data and this month's bills for the demo residents
-- (backend/supabase/demo_users.json). In production the providers' imports fill these tables
-- (`cityloop bills import FILE.csv`, public.import_bills). Idempotent: running it again adds nothing.
-- The demo resident (王丽) has her water account already linked; everything else is linked
-- in the app with the account number and the holder's name listed in docs/payments.md.

insert into public.provider_accounts (provider, account_no, kind, holder_name, address) values
  ('city_water', 'W10010101', 'water', '王丽', '和平路 12 号 3-502'),
  ('city_power', 'E20010101', 'electricity', '王丽', '和平路 12 号 3-502'),
  ('city_gas', 'G30010101', 'gas', '王丽', '和平路 12 号 3-502'),
  ('city_water', 'W10010102', 'water', '陈伟', '和平路 18 号 1-201'),
  ('city_power', 'E20010102', 'electricity', '陈伟', '和平路 18 号 1-201'),
  ('city_water', 'W10010103', 'water', '赵秀英', '解放路 7 号 2-101'),
  ('city_power', 'E20010103', 'electricity', '赵秀英', '解放路 7 号 2-101'),
  ('city_gas', 'G30010103', 'gas', '赵秀英', '解放路 7 号 2-101')
on conflict (provider, account_no) do nothing;

insert into public.bills (provider, account_no, kind, period, amount_fen, due_date)
select a.provider, a.account_no, a.kind, to_char(current_date - interval '1 month', 'YYYY-MM'), b.amount_fen,
       current_date + b.due_in_days
from (values ('W10010101', 4630, 5), ('E20010101', 12850, 2), ('G30010101', 3900, -3),
             ('W10010102', 3810, 6), ('E20010102', 9720, 1),
             ('W10010103', 2540, 4), ('E20010103', 6630, -2), ('G30010103', 2100, 8)) as b (account_no, amount_fen, due_in_days)
join public.provider_accounts a on a.account_no = b.account_no
on conflict (provider, account_no, period) do nothing;

insert into public.utility_accounts (user_id, provider, account_no, kind, address)
select '00000000-0000-4000-8000-000000000101', provider, account_no, kind, address
from public.provider_accounts where account_no = 'W10010101'
  and exists (select 1 from auth.users where id = '00000000-0000-4000-8000-000000000101')
on conflict (user_id, provider, account_no) do nothing;
