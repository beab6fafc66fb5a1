"""Bills come from the providers: a CSV through `cityloop bills import`, or the sandbox utility's feed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from backend.payments.bills_import import ImportError_, parse_bills_csv

ROOT = Path(__file__).resolve().parents[2]
CITYLOOP = [sys.executable, "-m", "backend.cli"]
HEADER = "provider,kind,account_no,holder_name,address,period,amount_fen,due_date\n"
pytestmark = pytest.mark.timeout(180)


def test_the_csv_parser_names_the_bad_line() -> None:
    rows = parse_bills_csv("\ufeff" + HEADER.replace("amount_fen", "amount_yuan")
                           + "city_water,water,W1,王丽,和平路 1 号,2026-10,46.30,2026-11-30\n")
    assert rows[0]["amount_fen"] == 4630 and rows[0]["holder_name"] == "王丽"
    with pytest.raises(ImportError_, match="missing columns: due_date"):
        parse_bills_csv("provider,kind,account_no,holder_name,address,period,amount_fen\n")
    with pytest.raises(ImportError_, match="line 3: the amount is not a number"):
        parse_bills_csv(HEADER + "p,water,A1,n,a,2026-10,100,2026-11-01\np,water,A2,n,a,2026-10,ten,2026-11-01\n")
    with pytest.raises(ImportError_, match="line 2: the amount must be positive"):
        parse_bills_csv(HEADER + "p,water,A1,n,a,2026-10,0,2026-11-01\n")
    with pytest.raises(ImportError_, match="more than 2 decimals"):
        parse_bills_csv(HEADER.replace("amount_fen", "amount_yuan") + "p,water,A1,n,a,2026-10,1.234,2026-11-01\n")


def _cli(stack, *args) -> subprocess.CompletedProcess:
    env = dict(os.environ, SUPABASE_URL=stack.url, SUPABASE_SERVICE_ROLE_KEY=stack.service_key,
               CITYLOOP_HOME=str(stack.home))
    return subprocess.run(CITYLOOP + list(args), env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_cityloop_bills_import_adds_accounts_and_bills_once(stack, service, tmp_path) -> None:
    account_no = "C" + uuid.uuid4().hex[:10].upper()
    csv_file = tmp_path / "bills.csv"
    csv_file.write_text(HEADER + f"city_gas,gas,{account_no},周敏,和平路 9 号,2026-10,3900,2026-11-28\n"
                        f"city_gas,gas,{account_no},周敏,和平路 9 号,2026-09,4100,2026-10-28\n", encoding="utf-8")
    first = _cli(stack, "bills", "import", str(csv_file))
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"rows": 2, "accounts": 2, "bills_added": 2, "bills_existing": 0}
    again = _cli(stack, "bills", "import", str(csv_file))
    assert json.loads(again.stdout)["bills_added"] == 0
    bills = service.table("bills").select("period,amount_fen,status").eq("account_no", account_no).order("period").execute().data
    assert bills == [{"period": "2026-09", "amount_fen": 4100, "status": "unpaid"},
                     {"period": "2026-10", "amount_fen": 3900, "status": "unpaid"}]

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + f"city_gas,coal,{account_no}X,周敏,和平路 9 号,2026-10,3900,2026-11-28\n", encoding="utf-8")
    refused = _cli(stack, "bills", "import", str(bad))
    assert refused.returncode == 1 and "row 1" in refused.stderr and "Traceback" not in refused.stderr
    assert service.table("bills").select("id").eq("account_no", account_no + "X").execute().data == []


def test_cityloop_payments_reconcile_prints_its_summary(stack) -> None:
    done = _cli(stack, "payments", "reconcile")
    assert done.returncode == 0, done.stderr
    assert set(json.loads(done.stdout)) >= {"settled", "expired_created", "refunds", "reminders"}


def test_the_sandbox_bill_feed_takes_the_service_key_only(stack, service) -> None:
    account_no = "F" + uuid.uuid4().hex[:10].upper()
    rows = [{"provider": "city_water", "kind": "water", "account_no": account_no, "holder_name": "吴刚",
             "address": "解放路 3 号", "period": "2026-10", "amount_fen": 2500, "due_date": "2026-11-30"}]
    url = f"{stack.url}/sandbox-pay/api/bills"
    anon = httpx.post(url, json=rows, headers={"apikey": stack.anon_key, "Authorization": f"Bearer {stack.anon_key}"})
    assert anon.status_code == 403
    ok = httpx.post(url, json=rows, headers={"apikey": stack.service_key, "Authorization": f"Bearer {stack.service_key}"})
    assert ok.status_code == 200 and ok.json()["bills_added"] == 1
    assert service.table("bills").select("amount_fen").eq("account_no", account_no).execute().data == [{"amount_fen": 2500}]
