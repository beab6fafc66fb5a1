-- Per-address limits count an IPv6 caller by its /64 (the trust boundary at city scale).
--
-- A phone or a home is given a whole /64 and picks a new address in it at will (privacy
-- addresses, RFC 4941/8981), so a limit per IPv6 address is no limit: the failed account links
-- per address (migration 0400) could be multiplied by 2^64. The gateway counts its own limits the
-- same way (backend/local_supabase/client_address.py, limit_key); hosted Supabase's gateway
-- forwards the exact address, so the SQL groups it itself. IPv4 addresses (and IPv4-mapped IPv6
-- ones) count as themselves.

create or replace function private.client_address() returns text
language plpgsql stable
security definer set search_path = ''
as $$
declare
  raw text := nullif(btrim(split_part(coalesce(
                nullif(current_setting('request.headers', true), '')::json ->> 'x-forwarded-for', ''), ',', 1)), '');
  ip inet;
begin
  if raw is null then
    return null;
  end if;
  begin
    ip := raw::inet;
  exception when invalid_text_representation then
    return raw;  -- not an address: counted as written (the gateway never forwards such a value)
  end;
  if family(ip) = 6 then
    if host(ip) ~ '^::ffff:[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' then
      return substr(host(ip), 8);
    end if;
    return host(network(set_masklen(ip, 64))) || '/64';
  end if;
  return host(ip);
end;
$$;
comment on function private.client_address() is
  'The caller''s address as per-address limits count it: the first x-forwarded-for entry of request.headers (set by the gateway to the resolved client); an IPv6 address by its /64; null outside a request.';
revoke execute on function private.client_address() from public, anon, authenticated;
