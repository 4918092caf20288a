"""Synthetic weekly transaction files in the dunnhumby format (demo and unit-test data).

The real files must never be copied into the project, so demos and tests use this.
Files have the real files' format: same 22 columns in the same order, LF line
ends, empty values written as `""`, SPEND as the shortest decimal ("2.0", "1.3", "0.93").

How the label arises (so that models have something real to learn):
- a fixed "world" per seed: a product catalogue (D → G → DEP → CL → PRD), where every
  category (CL) has value, standard and premium lines, premium priced higher per unit;
  customers with a price sensitivity and lifestage; stores with a format and region;
- each basket has a hidden sensitivity (mostly its customer's); its lines are drawn from
  the value / standard / premium lines with odds that lean to that sensitivity;
- the label comes only from the contents: score = (premium spend - value spend) / spend,
  plus a little noise, cut at two thresholds; about 2 % of baskets are XX.
So each product's past label shares and its price relative to its category predict it.

A week's file depends only on (seed, week, baskets_per_week, header): generating weeks
1-8 and then 9-10 gives the same files as generating 1-10.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip as gzip_lib
from pathlib import Path

import numpy as np

COLUMNS = (
    "SHOP_WEEK", "SHOP_DATE", "SHOP_WEEKDAY", "SHOP_HOUR", "QUANTITY", "SPEND",
    "PROD_CODE", "PROD_CODE_10", "PROD_CODE_20", "PROD_CODE_30", "PROD_CODE_40",
    "CUST_CODE", "CUST_PRICE_SENSITIVITY", "CUST_LIFESTAGE", "BASKET_ID", "BASKET_SIZE",
    "BASKET_PRICE_SENSITIVITY", "BASKET_TYPE", "BASKET_DOMINANT_MISSION", "STORE_CODE",
    "STORE_FORMAT", "STORE_REGION",
)
SEG_1 = {"LA": "AZ", "UM": "BG", "MM": "CT", "XX": "DY"}  # CUST_PRICE_SENSITIVITY -> seg_1
SEG_2 = {"YA": "AT", "OT": "BU", "OA": "CZ", "YF": "DI", "OF": "EQ", "PE": "FN"}
REGIONS = tuple(f"{r}{i:02d}" for r in "ENSW" for i in (1, 2, 3))

# The calendar of the real data (time.csv): 52 weeks a year, week 200607 = Mon 2006-04-10.
_ANCHOR_WEEK, _ANCHOR_MONDAY = 200607, dt.date(2006, 4, 10)
_BASKET_ID_BASE = 994_100_100_000_000  # 15 digits, like the real ids
_MAX_BASKETS = 100_000  # basket-id slots per week: ids stay unique across weeks

# Measured on the real data (week 200607).
_HOURS = np.arange(8, 22)
_HOUR_P = np.array([1123, 994, 1286, 1752, 2072, 2186, 2393, 2722, 1819, 2088, 1700, 1258, 1481, 2367], float)
_QTY = np.array([1, 3, 4, 5, 6, 8, 12])  # quantity 2 really is absent from the real files
_QTY_P = np.array([0.823, 0.139, 0.021, 0.004, 0.008, 0.003, 0.002])
_CUST_SENS, _CUST_SENS_P = ("LA", "MM", "UM", "XX"), (0.27, 0.44, 0.27, 0.02)
_LIFE, _LIFE_P = ("OT", "YF", "YA", "OA", "PE", "OF", ""), (0.27, 0.18, 0.12, 0.11, 0.07, 0.05, 0.20)

# Position 0 = value, 1 = standard, 2 = premium. Rows: hidden sensitivity LA, MM, UM.
_POS_PRICE = np.array([0.75, 1.0, 1.35])
_POS_P = np.array([[0.70, 0.25, 0.05], [0.20, 0.60, 0.20], [0.05, 0.25, 0.70]])
_HIDDEN_P = np.array([0.27, 0.46, 0.27])
_KEEP_CUSTOMER = 0.65  # chance a basket follows its customer's sensitivity
_SCORE_NOISE, _LO, _HI = 0.05, -0.44, 0.58  # thresholds tuned for LA 23 / MM 51 / UM 24 %
_XX_SHARE = 0.02


def _week_number(week: int) -> int:
    """Weeks since week 1 of year 0 (the real data has 52 weeks a year)."""
    y, w = divmod(week, 100)
    if not (1 <= w <= 52 and y >= 0):
        raise ValueError(f"not a YYYYWW week: {week}")
    return y * 52 + w - 1


def add_weeks(week: int, n: int) -> int:
    """Week `n` weeks after YYYYWW `week` in the 52-week calendar (200652 + 1 = 200701)."""
    y, w = divmod(_week_number(week) + n, 52)
    return y * 100 + w + 1


def week_monday(week: int) -> dt.date:
    """First day (a Monday) of a week, on the calendar of time.csv."""
    return _ANCHOR_MONDAY + dt.timedelta(weeks=_week_number(week) - _week_number(_ANCHOR_WEEK))


def _codes(rng, prefix: str, digits: int, n: int, low: int, high: int) -> np.ndarray:
    nums = np.sort(rng.choice(np.arange(low, high), n, replace=False))
    return np.array([f"{prefix}{x:0{digits}d}" for x in nums], dtype=object)


@functools.lru_cache(maxsize=8)
def _world(seed: int) -> dict:
    """Catalogue, customers and stores: fixed for a seed, shared by every week."""
    rng = np.random.default_rng([seed, 0])
    # Hierarchy: 80 categories (CL) -> 40 DEP -> 20 G -> 6 D, each parent used at least once.
    n_cl, n_dep, n_g, n_d = 80, 40, 20, 6
    g_to_d = np.concatenate([np.arange(n_d), rng.integers(0, n_d, n_g - n_d)])
    dep_to_g = np.concatenate([np.arange(n_g), rng.integers(0, n_g, n_dep - n_g)])
    cl_to_dep = np.concatenate([np.arange(n_dep), rng.integers(0, n_dep, n_cl - n_dep)])
    d, g = _codes(rng, "D", 5, n_d, 1, 10), _codes(rng, "G", 5, n_g, 1, 40)
    dep, cl = _codes(rng, "DEP", 5, n_dep, 1, 100), _codes(rng, "CL", 5, n_cl, 1, 300)
    # Every category has one value, one standard and one premium line, plus 0-2 extra lines.
    extra = rng.integers(0, 3, n_cl)
    cat = np.repeat(np.arange(n_cl), 3 + extra)
    pos = np.concatenate([np.r_[0, 1, 2, rng.integers(0, 3, e)] for e in extra])
    order = np.lexsort((pos, cat))  # products sorted by (category, position)
    cat, pos = cat[order], pos[order]
    n_prod = len(cat)
    cat_price = rng.lognormal(np.log(1.4), 0.35, n_cl)
    price = cat_price[cat] * _POS_PRICE[pos] * rng.lognormal(0, 0.08, n_prod)
    # Where each (category, position) group starts in the sorted list, and its size.
    group = cat * 3 + pos
    start = np.searchsorted(group, np.arange(n_cl * 3))
    count = np.bincount(group, minlength=n_cl * 3)
    # The five product columns as one pre-joined string per product.
    p_dep = cl_to_dep[cat]
    p_g = dep_to_g[p_dep]
    prd = _codes(rng, "PRD", 7, n_prod, 900_000, 905_000)
    prod_str = np.array(
        [",".join(x) for x in zip(prd, cl[cat], dep[p_dep], g[p_g], d[g_to_d[p_g]])], dtype=object
    )

    n_cust, n_store = 1500, 60
    cust_code = _codes(rng, "CUST", 10, n_cust, 1, 1_000_000)
    cust_sens = rng.choice(np.array(_CUST_SENS, dtype=object), n_cust, p=_CUST_SENS_P)
    cust_life = rng.choice(np.array(_LIFE, dtype=object), n_cust, p=_LIFE_P)
    store_code = _codes(rng, "STORE", 5, n_store, 1, 2900)
    formats = np.array(["LS", "MS", "SS", "XLS"], dtype=object)
    store_fmt = rng.choice(formats, n_store, p=[0.48, 0.31, 0.17, 0.04])
    store_reg = rng.choice(np.array(REGIONS, dtype=object), n_store)
    return dict(
        n_cl=n_cl, cat_w=_norm(rng.lognormal(0, 0.8, n_cl)), price=price, pos=pos,
        start=start, count=count, prod_str=prod_str,
        cust_code=cust_code, cust_sens=cust_sens, cust_life=cust_life,
        cust_w=_norm(rng.lognormal(0, 1.0, n_cust)),
        store=np.array([f"{c},{f},{r}" for c, f, r in zip(store_code, store_fmt, store_reg)], dtype=object),
        store_w=_norm(rng.lognormal(0, 0.7, n_store)),
    )


def _norm(w: np.ndarray) -> np.ndarray:
    return w / w.sum()


def _pick(rng, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of `probs` (rows sum to 1), vectorised."""
    return (rng.random((len(probs), 1)) > np.cumsum(probs, axis=1)[:, :-1]).sum(axis=1)


def _quote(values: np.ndarray) -> np.ndarray:
    """Empty values are written as "" in the real files."""
    return np.where(values == "", '""', values)


def _week_text(seed: int, week: int, baskets: int, header: str) -> str:
    """The full CSV text of one week."""
    if header not in ("seg", "cust"):
        raise ValueError("header must be 'seg' or 'cust'")
    if not 1 <= baskets <= _MAX_BASKETS:
        raise ValueError(f"baskets_per_week must be in 1..{_MAX_BASKETS}")
    w = _world(seed)
    week_no = _week_number(week)
    rng = np.random.default_rng([seed, 1, week_no])
    n = baskets

    # Basket level: who, where, when.
    known = rng.random(n) >= 0.2  # about 20 % of baskets have no customer card
    cust = rng.choice(len(w["cust_w"]), n, p=w["cust_w"])
    store = rng.choice(len(w["store_w"]), n, p=w["store_w"])
    sens = w["cust_sens"][cust]
    hidden = rng.choice(3, n, p=_HIDDEN_P)
    follow = known & (sens != "XX") & (rng.random(n) < _KEEP_CUSTOMER)
    hidden = np.where(follow, np.searchsorted(["LA", "MM", "UM"], sens.astype(str)), hidden)
    size = rng.choice(3, n, p=[0.33, 0.42, 0.25])  # L, M, S
    n_lines = np.select(
        [size == 0, size == 1],
        [6 + rng.poisson(8, n), np.minimum(2 + rng.poisson(2, n), 7)],
        1 + (rng.random(n) < 0.35),
    )
    type_p = np.array([[0.68, 0.02, 0.30], [0.15, 0.35, 0.50], [0.0, 0.40, 0.60]])  # by size
    btype = np.array(["Full Shop", "Small Shop", "Top Up"], dtype=object)[_pick(rng, type_p[size])]
    missions = np.array(["Fresh", "Mixed", "Grocery", "Nonfood"], dtype=object)
    mission = rng.choice(missions, n, p=[0.50, 0.36, 0.11, 0.03])
    unclassified = rng.random(n) < 0.005  # the real data has a few XX type + mission baskets
    btype[unclassified], mission[unclassified] = "XX", "XX"
    day = rng.integers(0, 7, n)  # 0 = Monday
    hour = rng.choice(_HOURS, n, p=_norm(_HOUR_P))

    # Lines: category by popularity, then value/standard/premium leaning to the basket.
    b = np.repeat(np.arange(n), n_lines)
    cat = rng.choice(w["n_cl"], len(b), p=w["cat_w"])
    pos = _pick(rng, _POS_P[hidden[b]])
    grp = cat * 3 + pos
    prod = w["start"][grp] + (rng.random(len(b)) * w["count"][grp]).astype(int)
    qty = rng.choice(_QTY, len(b), p=_norm(_QTY_P))
    promo = np.where(rng.random(len(b)) < 0.1, 0.7, 1.0)  # some lines on promotion
    cents = np.maximum(1, np.rint(qty * w["price"][prod] * promo * 100)).astype(np.int64)
    spend = cents / 100

    # Label from contents only: premium minus value share of the basket's spend.
    pos = w["pos"][prod]
    total = np.bincount(b, spend, n)
    score = (np.bincount(b, spend * (pos == 2), n) - np.bincount(b, spend * (pos == 0), n)) / total
    score += rng.normal(0, _SCORE_NOISE, n)
    label = np.where(score < _LO, "LA", np.where(score > _HI, "UM", "MM")).astype(object)
    label[rng.random(n) < _XX_SHARE] = "XX"

    # Text: per-basket prefix and suffix strings, joined per line.
    monday = week_monday(week)
    dates = [(monday + dt.timedelta(days=k)).strftime("%Y%m%d") for k in range(7)]
    weekday = (day + 1) % 7 + 1  # 1 = Sunday, Monday = 2
    prefix = [f"{week},{dates[k]},{wd},{h}" for k, wd, h in zip(day, weekday, hour)]
    c_sens, c_life = sens.astype(str), w["cust_life"][cust].astype(str)
    if header == "seg":
        c_sens = np.array([SEG_1[s] for s in c_sens], dtype=object)
        c_life = np.array([SEG_2.get(s, "") for s in c_life], dtype=object)
    c_code = np.where(known, w["cust_code"][cust], "")
    c_sens, c_life = np.where(known, c_sens, ""), np.where(known, c_life, "")
    slots = rng.choice(_MAX_BASKETS, n, replace=False)
    basket_id = _BASKET_ID_BASE + week_no * _MAX_BASKETS + slots
    suffix = [
        f"{c},{s},{life},{i},{z},{lab},{t},{m},{st}"
        for c, s, life, i, z, lab, t, m, st in zip(
            _quote(c_code), _quote(c_sens), _quote(c_life), basket_id, np.array(["L", "M", "S"])[size],
            label, btype, mission, w["store"][store],
        )
    ]
    # Real files are grouped by store with the lines of its baskets interleaved.
    order = np.lexsort((rng.random(len(b)), store[b]))
    spend_s, qty_s, prod_s = spend.astype(str), qty.astype(str), w["prod_str"][prod]
    names = list(COLUMNS)
    if header == "seg":
        names[12:14] = ["seg_1", "seg_2"]
    out = [",".join(names)]
    body = [f"{prefix[b[j]]},{qty_s[j]},{spend_s[j]},{prod_s[j]},{suffix[b[j]]}" for j in order]
    out += dict.fromkeys(body)  # like the real files: no exact duplicate lines (first kept, order kept)
    return "\n".join(out) + "\n"


def _write(path: Path, text: str) -> Path:
    data = text.encode()
    if path.name.endswith(".gz"):
        # No file name and mtime 0 in the gzip header: same input, same bytes.
        with open(path, "wb") as f:
            with gzip_lib.GzipFile(filename="", mode="wb", fileobj=f, mtime=0, compresslevel=6) as g:
                g.write(data)
    else:
        path.write_bytes(data)
    return path


def write_sample_weeks(
    out_dir: Path,
    weeks: int,
    seed: int = 7,
    header: str = "seg",
    first_week: int = 200607,
    baskets_per_week: int = 300,
    gzip: bool = False,
) -> list[Path]:
    """Write `weeks` consecutive weekly files transactions_YYYYWW.csv[.gz] into out_dir.

    header "seg" names the customer columns seg_1/seg_2 (codes AZ.., AT..); "cust" names
    them CUST_PRICE_SENSITIVITY/CUST_LIFESTAGE (LA.., YA..). Deterministic for the arguments.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(weeks):
        week = add_weeks(first_week, k)
        path = out_dir / f"transactions_{week}.csv{'.gz' if gzip else ''}"
        paths.append(_write(path, _week_text(seed, week, baskets_per_week, header)))
    return paths
