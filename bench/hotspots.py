"""Hotspot gathering against labelled clusters, with the 50 m duplicate check as the baseline.

A simulator files reports into a throw-away stack, neighbourhood by neighbourhood, each far
from the others. In every neighbourhood and for one sub-category:
  - the same problem reported by several neighbours (3-7 reports within 80 m);
  - a different problem of the same sub-category side by side (2-5 reports, 40 m away);
  - the same problem in the next street (2-4 reports, 450 m away): a different case;
  - the same problem a week earlier (1-2 reports, still open): a different case;
  - a few families in English.
Descriptions are composed from place, object and state phrases with the words neighbours
use, so two reports of one problem rarely say it the same way.

Pairwise precision and recall: a pair of reports is predicted together when gathering put
them in one hotspot; the baseline predicts a pair together when they share the sub-category
and are within 50 m (the duplicate check the report form offers). `--sweep` re-runs the
simulation for several likeness thresholds (private.limits hotspot_likeness_pct).
Intake cost: reports filed per second with the gathering trigger on and off, alternating.

    python bench/hotspots.py [--seeds 3] [--sweep 20,25,30,35,40]
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _stack import lift_report_quotas, temporary_stack  # noqa: E402

import psycopg  # noqa: E402

M_PER_DEG_LAT = 111_000.0

# (sub-category, problem one, problem two); a problem is (places, objects, tails).
FAMILIES = [
    ("01.01.005",
     (["3号楼东侧", "三号楼东边", "3栋东侧", "3号楼楼下东边"],
      ["堆了一大堆装修垃圾", "装修垃圾堆成小山", "倒了很多装修垃圾", "一堆建筑垃圾没人管"],
      ["", "，好几天没人清理", "，影响走路", "，灰很大"]),
     (["小区南门外", "南门口马路边", "南门外面"],
      ["有人半夜偷倒渣土", "渣土车倒了一堆土", "被倒了几车渣土"],
      ["", "，尘土飞扬", "，路都堵了一半"])),
    ("01.01.002",
     (["菜市场门口", "菜场门口", "农贸市场门口"],
      ["垃圾桶满了溢出来", "垃圾箱满得冒出来了", "几个垃圾桶都满了"],
      ["", "，苍蝇很多", "，没人来收"]),
     (["8号楼单元门口", "8栋门口", "八号楼门口"],
      ["垃圾桶被撞坏了", "垃圾桶盖子破了", "垃圾箱破了个大洞"],
      ["", "，汤水流了一地", "，野猫翻得到处都是"])),
    ("02.02.001",
     (["幸福路和建设路路口", "幸福路建设路交叉口", "幸福路路口"],
      ["井盖不见了", "有个井盖丢了", "下水井盖没了"],
      ["", "，很危险", "，晚上容易掉下去"]),
     (["幸福路小学门口", "小学校门口人行道上", "小学校门前"],
      ["雨水箅子没有了", "排水沟盖板被偷了", "学校门口的沟盖板不见了只剩个坑"],
      ["", "，孩子上学很危险", "，赶紧补上"])),
    ("02.03.001",
     (["和平公园北侧", "公园北门那段路", "和平公园北边"],
      ["路灯全都不亮", "一排路灯都坏了", "路灯一盏都不亮"],
      ["", "，晚上黑漆漆的", "，走夜路害怕"]),
     (["12号楼后面小路", "12栋后面的小路", "十二号楼后边"],
      ["有一盏灯一直闪", "那盏灯忽明忽暗", "灯老是闪个不停"],
      ["", "，晃眼睛", "，好几天了"])),
    ("03.02.003",
     (["地铁站B口", "地铁B出口", "地铁站B出口外"],
      ["共享单车堆成山", "共享单车乱停一大片", "单车停得乱七八糟"],
      ["", "，人都过不去", "，盲道全被占了"]),
     (["超市门口", "永辉超市门前", "超市入口"],
      ["电动车横七竖八", "好多电动车倒在地上", "电瓶车乱放挡门"],
      ["", "，推车进不去", "，挡住门了"])),
    ("05.01.003",
     (["楼下烧烤店", "一楼烧烤摊", "底商烧烤店"],
      ["油烟直往楼上窜", "烧烤油烟熏得不敢开窗", "烧烤排油烟没有净化"],
      ["", "，呛得咳嗽", "，衣服都不能晾"]),
     (["隔壁川菜馆", "旁边的川菜馆", "川菜馆后厨"],
      ["排风口对着居民窗户", "排风管道对着我家窗户", "后厨排气扇正对窗户"],
      ["", "，辣味呛人", "，每天中午晚上都熏"])),
    ("02.02.006",
     (["人民路桥下", "人民路下穿隧道", "人民路立交桥底下"],
      ["积水很深车都熄火了", "下雨积水没过膝盖", "积水半米深"],
      ["", "，赶紧排水", "，车都过不去"]),
     (["小区西门", "西门口", "小区西侧门口"],
      ["一下雨就汪一大片水", "门口全是雨水排不掉", "雨水下不去淹了门口"],
      ["", "，进出要蹚水", "，老人没法走"])),
    ("06.01.001",
     (["5号楼3单元602", "五号楼三单元602", "5栋3单元602"],
      ["楼上漏水漏到我家", "楼上往下渗水", "楼上卫生间漏水"],
      ["", "，天花板都泡了", "，找不到楼上的人"]),
     (["5号楼1单元楼道", "五号楼一单元楼道", "5栋1单元楼道里"],
      ["顶上水管爆了", "暖气管滴答滴答", "管子裂了一直滴"],
      ["", "，地上全是水", "，很滑"])),
    ("01.02.003",
     (["公交站牌上", "公交车站站牌", "站台广告牌"],
      ["贴满了小广告", "全是办证小广告", "被贴了很多牛皮癣"],
      ["", "，很难看", "，清理一下"]),
     (["10号楼电梯里", "10栋电梯内", "十号楼电梯间"],
      ["贴满了开锁电话", "到处是疏通管道的贴纸", "开锁疏通贴纸满墙"],
      ["", "，撕了又贴", "，太乱了"])),
    ("01.03.001",
     (["中山路", "中山路人行道", "中山路边上"],
      ["大树被风刮倒了", "一棵树倒在路上", "树倒了压住了路"],
      ["", "，挡住了车道", "，很危险"]),
     (["中山路幼儿园门口", "幼儿园门口", "幼儿园门前那棵树"],
      ["有根大树枝快断了", "树枝断了挂在上面", "枯树枝吊着随时掉下来"],
      ["", "，小孩经过很危险", "，赶紧处理"])),
    ("01.01.002",
     (["the market gate", "the market entrance", "the gate of the food market"],
      ["bins are overflowing", "rubbish bins full and spilling over", "all bins overflowing again"],
      ["", ", flies everywhere", ", nobody collects"]),
     (["building 8 entrance", "the door of block 8", "block 8 front door"],
      ["bin lid broken", "broken rubbish bin", "smashed bin leaking"],
      ["", ", cats spread the rubbish", ", liquid all over the ground"])),
    ("02.03.001",
     (["Park Road north side", "north gate of the park", "Park Road by the north gate"],
      ["street lights all out", "whole row of street lights dead", "no street light works"],
      ["", ", pitch dark at night", ", scary to walk"]),
     (["lane behind block 12", "the path behind building 12", "small lane behind block 12"],
      ["one lamp keeps flickering", "lamp flickers on and off", "flickering lamp"],
      ["", ", hurts the eyes", ", for days"])),
]


@dataclass
class Report:
    label: str
    category: str
    lat: float
    lon: float
    description: str
    days_ago: float = 0.0
    id: str | None = None


def say(problem, rng: random.Random) -> str:
    places, objects, tails = problem
    place, obj, tail = rng.choice(places), rng.choice(objects), rng.choice(tails)
    sep = " " if place.isascii() else ""
    return f"{place}{sep}{obj}{tail}"


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    return lat + north_m / M_PER_DEG_LAT, lon + east_m / (M_PER_DEG_LAT * math.cos(math.radians(lat)))


def scatter(rng: random.Random, lat: float, lon: float, radius_m: float) -> tuple[float, float]:
    r, a = radius_m * math.sqrt(rng.random()), rng.random() * 2 * math.pi
    return offset(lat, lon, r * math.cos(a), r * math.sin(a))


def neighbourhoods(seed: int, base_lat: float) -> list[Report]:
    """Every family's four scenarios, each neighbourhood 3 km from the next (no cross-talk)."""
    rng = random.Random(seed)
    out: list[Report] = []
    for f, (category, one, two) in enumerate(FAMILIES):
        lat, lon = base_lat + f * 0.03, 116.0 + seed * 0.05
        tag = f"s{seed}f{f}"
        week_lat, week_lon = offset(lat, lon, -20, 0)
        out += [Report(f"{tag}-week", category, *scatter(rng, week_lat, week_lon, 30), say(one, rng), days_ago=6)
                for _ in range(rng.randint(1, 2))]
        out += [Report(f"{tag}-one", category, *scatter(rng, lat, lon, 60), say(one, rng))
                for _ in range(rng.randint(3, 7))]
        side_lat, side_lon = offset(lat, lon, 0, 40)
        out += [Report(f"{tag}-two", category, *scatter(rng, side_lat, side_lon, 30), say(two, rng))
                for _ in range(rng.randint(2, 5))]
        next_lat, next_lon = offset(lat, lon, 450, 0)
        out += [Report(f"{tag}-next", category, *scatter(rng, next_lat, next_lon, 60), say(one, rng))
                for _ in range(rng.randint(2, 4))]
    week = [r for r in out if r.days_ago]
    rest = [r for r in out if not r.days_ago]
    rng.shuffle(rest)  # neighbours report in no particular order
    return week + rest


def file_all(conn: psycopg.Connection, reports: list[Report]) -> float:
    started = time.perf_counter()
    for r in reports:
        r.id = conn.execute(
            "insert into public.reports (category_code, description, lat, lon) values (%s, %s, %s, %s)"
            " returning id::text", (r.category, r.description, r.lat, r.lon)).fetchone()[0]
        if r.days_ago:  # filing stamps now(); a report of last week is moved back before the rest are filed
            conn.execute("update public.reports set created_at = now() - make_interval(secs => %s) where id = %s",
                         (r.days_ago * 86400, r.id))
    return time.perf_counter() - started


def pairs_of(groups: dict[str, list[str]]) -> set[frozenset[str]]:
    return {frozenset(p) for ids in groups.values() for p in itertools.combinations(sorted(ids), 2)}


def distance_m(a: Report, b: Report) -> float:
    dlat = (a.lat - b.lat) * M_PER_DEG_LAT
    dlon = (a.lon - b.lon) * M_PER_DEG_LAT * math.cos(math.radians(a.lat))
    return math.hypot(dlat, dlon)


def score(predicted: set, gold: set) -> tuple[float, float]:
    hit = len(predicted & gold)
    return (hit / len(predicted) if predicted else float("nan")), (hit / len(gold) if gold else float("nan"))


def evaluate(conn: psycopg.Connection, reports: list[Report]) -> dict[str, tuple[float, float]]:
    by_label: dict[str, list[str]] = {}
    for r in reports:
        by_label.setdefault(r.label, []).append(r.id)
    gold = pairs_of(by_label)
    rows = conn.execute("select hotspot_id::text, report_id::text from public.hotspot_members"
                        " where split_at is null and report_id = any(%s::uuid[])", ([r.id for r in reports],)).fetchall()
    spots: dict[str, list[str]] = {}
    for spot, rid in rows:
        spots.setdefault(spot, []).append(rid)
    baseline = {frozenset((a.id, b.id)) for a, b in itertools.combinations(reports, 2)
                if a.category == b.category and distance_m(a, b) <= 50}
    return {"hotspots": score(pairs_of(spots), gold), "baseline_50m": score(baseline, gold),
            "gold_pairs": (len(gold), len(reports))}


def intake(conn: psycopg.Connection, rounds: int, per_round: int) -> tuple[float, float]:
    """Reports per second with the gathering trigger on and off, alternating rounds on fresh places."""
    on = off = 0.0
    n_on = n_off = 0
    for k in range(rounds):
        for enabled in (True, False):
            conn.execute(f"alter table public.reports {'enable' if enabled else 'disable'} trigger reports_gather_hotspot")
            batch = [r for r in neighbourhoods(1000 + 2 * k + enabled, -30.0 - k)][:per_round]
            elapsed = file_all(conn, batch)
            if enabled:
                on, n_on = on + elapsed, n_on + len(batch)
            else:
                off, n_off = off + elapsed, n_off + len(batch)
    conn.execute("alter table public.reports enable trigger reports_gather_hotspot")
    return n_on / on, n_off / off


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--sweep", default="", help="likeness thresholds in percent, e.g. 20,25,30,35,40")
    parser.add_argument("--intake-rounds", type=int, default=4)
    args = parser.parse_args()
    with temporary_stack("public") as stack, psycopg.connect(stack.env()["DATABASE_URL"], autocommit=True) as conn:
        lift_report_quotas(conn)
        default = conn.execute("select value from private.limits where name = 'hotspot_likeness_pct'").fetchone()[0]
        thresholds = [int(t) for t in args.sweep.split(",") if t] or [default]
        print(f"likeness threshold in private.limits: {default}%; seeds: {args.seeds}; families: {len(FAMILIES)}")
        print(f"{'threshold':>9}  {'hotspots P':>10} {'R':>6}  {'50 m baseline P':>15} {'R':>6}  gold pairs / reports")
        for i, t in enumerate(thresholds):
            conn.execute("update private.limits set value = %s where name = 'hotspot_likeness_pct'", (t,))
            reports = [r for s in range(args.seeds) for r in neighbourhoods(s, 10.0 + 2 * i)]
            file_all(conn, reports)
            m = evaluate(conn, reports)
            (hp, hr), (bp, br), (gp, n) = m["hotspots"], m["baseline_50m"], m["gold_pairs"]
            print(f"{t:>8}%  {hp:>10.3f} {hr:>6.3f}  {bp:>15.3f} {br:>6.3f}  {gp} / {n}")
        conn.execute("update private.limits set value = %s where name = 'hotspot_likeness_pct'", (default,))
        with_trigger, without = intake(conn, args.intake_rounds, 100)
        print(f"intake: {with_trigger:.0f} reports/s with gathering, {without:.0f} without "
              f"(ratio {without / with_trigger:.2f}x; superuser inserts, one connection)")


if __name__ == "__main__":
    main()
