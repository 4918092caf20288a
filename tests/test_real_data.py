"""`retail run` and `retail evaluate` on real dunnhumby weeks (../shared; skipped when absent)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

TRAIN_WEEKS = [200701, 200702, 200704, 200705, 200706, 200707, 200708, 200709, 200710, 200711]  # 200703 is absent
LATER_WEEKS = [200712, 200713]


def retail(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "retail_assets.cli", *args], capture_output=True, text=True, timeout=1800)


@pytest.mark.slow
def test_real_weeks_train_and_evaluate_on_later_weeks(real_data, tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    for week in TRAIN_WEEKS:  # links, never copies: the real files stay in ../shared
        (landing / f"transactions_{week}.csv.gz").symlink_to(real_data / f"transactions_{week}.csv.gz")
    home = tmp_path / "home"
    run = retail("run", "--landing", str(landing), "--home", str(home))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert f"weeks loaded     {len(TRAIN_WEEKS)} (200701..200711)" in run.stdout
    assert "rows ingested" in run.stdout and "(quarantined 0)" in run.stdout
    assert "-> Production" in run.stdout

    later = [str(real_data / f"transactions_{w}.csv.gz") for w in LATER_WEEKS]
    result = retail("evaluate", "--bundle", "production", "--home", str(home), "--input", *later)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout.strip())
    print(doc)
    assert doc["baskets"] > 5000 and doc["xx_baskets"] > 0 and doc["baskets_all"] == doc["baskets"] + doc["xx_baskets"]
    # The seed's KPI on weeks later than the model trained on.
    assert doc["accuracy"] >= 0.75
    assert doc["macro_f1"] >= 0.70
