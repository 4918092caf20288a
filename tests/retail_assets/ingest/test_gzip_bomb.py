"""A gzip bomb is refused while it is being decompressed, by the caps of the raw asset's config,
with a message naming the file and the cap, and without ever holding what it expands to."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import dagster as dg
import pytest

from retail_assets.contract.lake import Lake
from retail_assets.contract.lake_keys import raw_key
from retail_assets.defs.raw.assets import raw_transactions
from retail_assets.defs.raw.sensors import ingest_week_job
from retail_assets.ingest.reading import DecompressLimits, decompress
from retail_assets.ingest.weekly import FileRejected, parse_weekly_file
from retail_assets.partitions import shop_week_partitions
from retail_assets.pipeline import QUIET, RunReport, ingest_weeks
from retail_assets.resources import LakeResource
from retail_assets.sample import write_sample_weeks

LANDING = "retail/landing"
MiB = 1 << 20


def write_bomb(path: Path, header: bytes, expanded: int) -> Path:
    """A weekly file's header followed by `expanded` bytes of zeros, gzipped by streaming (about 1000:1)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(MiB)
    with open(path, "wb") as f:
        f.write(packer.compress(header))
        for _ in range(expanded // MiB):
            f.write(packer.compress(zeros))
        f.write(packer.flush())
    return path


@pytest.fixture
def week(tmp_path) -> Path:
    return write_sample_weeks(tmp_path / "good", weeks=1, baskets_per_week=300, gzip=True)[0]


def _header(week: Path) -> bytes:
    return gzip.decompress(week.read_bytes()).split(b"\n", 1)[0] + b"\n"


def test_a_bomb_is_refused_by_its_expansion_naming_the_file_and_the_cap(tmp_path, week):
    bomb = write_bomb(tmp_path / "transactions_200607.csv.gz", _header(week), 16 * MiB)
    assert bomb.stat().st_size < 40_000  # 16 MiB from a few kB
    with pytest.raises(FileRejected) as refused:
        parse_weekly_file(bomb.name, bomb.read_bytes())
    message = str(refused.value)
    assert message.startswith("transactions_200607.csv.gz: expands more than max_expansion_ratio 100x")
    assert "gzip bomb" in message


def test_the_size_cap_refuses_gzip_and_plain_files_past_it_and_the_defaults_take_real_sized_weeks(tmp_path, week):
    text = gzip.decompress(week.read_bytes())
    small = DecompressLimits(max_decompressed_bytes=len(text) - 1)
    with pytest.raises(FileRejected, match=rf"^{week.name}: decompresses to more than max_decompressed_bytes "
                                           rf"{len(text) - 1:,} bytes"):
        parse_weekly_file(week.name, week.read_bytes(), small)
    plain = week.with_suffix("")  # transactions_200607.csv
    plain.write_bytes(text)
    with pytest.raises(FileRejected, match=rf"^{plain.name}: is {len(text):,} bytes, more than max_decompressed_bytes"):
        parse_weekly_file(plain.name, text, small)
    exact = DecompressLimits(max_decompressed_bytes=len(text))
    assert parse_weekly_file(week.name, week.read_bytes(), exact).good.equals(parse_weekly_file(plain.name, text).good)


def test_the_ratio_cap_is_judged_against_the_compressed_bytes_read_so_far():
    text = b"".join(b"%d,%d\n" % (i, i * i % 977) for i in range(300_000))  # 3.7 MB
    data = gzip.compress(text)
    ratio = len(text) / len(data)
    assert decompress("transactions_200607.csv.gz", data, DecompressLimits(max_expansion_ratio=ratio * 1.5)) == text
    with pytest.raises(FileRejected, match=rf"^transactions_200607.csv.gz: expands more than max_expansion_ratio "
                                           rf"{ratio / 2:g}x \(\d[\d,]* compressed bytes gave \d[\d,]*\)"):
        decompress("transactions_200607.csv.gz", data, DecompressLimits(max_expansion_ratio=ratio / 2))
    tiny = gzip.compress(b"SHOP_WEEK\n" + b"1\n" * 100_000)  # 200 kB at ~400x: below the first MiB, not judged
    assert len(decompress("transactions_200607.csv.gz", tiny)) == 200_010


@pytest.mark.parametrize("case", ["one_member", "two_members", "zero_padding", "empty", "level_1"])
def test_streaming_gives_what_gzip_gives(case):
    text = b"".join(b"%d,%d\n" % (i, i * i % 977) for i in range(300_000))  # 3.7 MB, several pieces
    data = {
        "one_member": gzip.compress(text),
        "two_members": gzip.compress(text[:1000]) + gzip.compress(text[1000:]),
        "zero_padding": gzip.compress(text) + bytes(1000),
        "empty": b"",
        "level_1": gzip.compress(text, compresslevel=1),
    }[case]
    assert decompress("transactions_200607.csv.gz", data) == gzip.decompress(data)


@pytest.mark.parametrize("data", [gzip.compress(b"a,b\n" * 1000)[:-9], gzip.compress(b"a,b\n") + b"junk",
                                  b"not gzip at all", gzip.compress(b"a,b\n")[:-8] + b"\0\0\0\0\0\0\0\0"])
def test_a_corrupt_or_truncated_gzip_is_still_refused_as_such(data):
    with pytest.raises(FileRejected, match=r"^transactions_200607.csv.gz: truncated or corrupt gzip"):
        decompress("transactions_200607.csv.gz", data)


def _job(lake: Lake) -> dg.JobDefinition:
    defs = dg.Definitions(assets=[raw_transactions], jobs=[ingest_week_job], resources={"lake": LakeResource(uri=lake.uri)})
    return defs.resolve_job_def("ingest_week")


def test_retail_runs_ingest_reports_the_bomb_as_a_refused_file_and_writes_nothing_for_it(tmp_path, week):
    lake = Lake.from_uri(str(tmp_path / "lake"))
    for path in write_sample_weeks(tmp_path / "weeks", weeks=2, baskets_per_week=40, first_week=200607):
        lake.write_bytes(f"{LANDING}/{path.name}", path.read_bytes())
    bomb = write_bomb(tmp_path / "transactions_200609.csv.gz", _header(week), 64 * MiB)
    lake.write_bytes(f"{LANDING}/{bomb.name}", bomb.read_bytes())
    report = RunReport()
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(shop_week_partitions.name, ["200607", "200608", "200609"])
        ingest_weeks([200607, 200608, 200609], _job(lake), instance, report)
    assert report.weeks_loaded == [200607, 200608]
    (refused,) = report.refused
    assert refused.startswith("transactions_200609.csv.gz: expands more than max_expansion_ratio 100x"), refused
    assert not report.failed_steps
    assert not lake.exists(raw_key(200609)) and not lake.list_files("retail/quarantine")


def test_the_caps_are_run_config_of_the_raw_asset(tmp_path, week):
    lake = Lake.from_uri(str(tmp_path / "lake"))
    lake.write_bytes(f"{LANDING}/{week.name}", week.read_bytes())
    config = {**QUIET, "ops": {"raw__transactions": {"config": {"max_decompressed_bytes": 10_000}}}}
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(shop_week_partitions.name, ["200607"])
        result = _job(lake).execute_in_process(partition_key="200607", instance=instance, raise_on_error=False,
                                               run_config=config)
        assert not result.success
        (failure,) = result.get_step_failure_events()
        (refused,) = failure.step_failure_data.user_failure_data.metadata["refused"].value
        assert refused["week"] == 200607 and refused["file"] == week.name
        assert refused["problem"].startswith("decompresses to more than max_decompressed_bytes 10,000 bytes")
        assert not lake.exists(raw_key(200607))
        assert _job(lake).execute_in_process(partition_key="200607", instance=instance, run_config=QUIET).success


PEAK = textwrap.dedent("""
    import json, resource, sys
    from retail_assets.ingest.weekly import FileRejected, parse_weekly_file
    path = sys.argv[1]
    data = open(path, "rb").read()
    try:
        outcome = f"{parse_weekly_file(path.rsplit('/', 1)[-1], data).good.num_rows} rows"
    except FileRejected as exc:
        outcome = str(exc)
    print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "outcome": outcome}))
""")


def _peak(path: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", PEAK, str(path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_refusing_a_bomb_takes_about_the_memory_of_a_normal_week(tmp_path, week):
    bomb = write_bomb(tmp_path / "transactions_200607.csv.gz", _header(week), 256 * MiB)
    normal, refused = _peak(week), _peak(bomb)
    assert normal["outcome"].endswith(" rows")
    assert refused["outcome"].startswith(f"{bomb.name}: expands more than max_expansion_ratio")
    assert refused["peak_mb"] < normal["peak_mb"] + 32, (normal, refused)  # never 256 MiB of zeros
