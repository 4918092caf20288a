"""The S3 side of the storage benchmark, against moto's server on 127.0.0.1: correctness only.

boto3's TransferConfig (multipart threshold, part size, concurrency) and the lake's own
writer (pyarrow's S3 filesystem) upload each file; every object is checked by its part count
(from its ETag) and the sha256 of what comes back, and a week-partitioned layout is queried
through pyarrow's dataset API on S3 for one week. Seconds measured here are this machine's
Python serving HTTP, not S3's.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import socket
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from retail_assets.bench.timing import MB, timed, tree_bytes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _parts(etag: str) -> int:
    """Parts of an object from its ETag: "<md5>-<n>" after a multipart upload, "<md5>" after one PUT."""
    tag = etag.strip('"')
    return int(tag.split("-")[1]) if "-" in tag else 1


def bench_s3(files: dict[str, Path], repeat: int, transfer_configs: list[tuple[int, int, int]] | None = None,
             layout: Path | None = None, week: int | None = None) -> list[dict]:
    """Upload and download each file through boto3 with each (threshold, part size,
    concurrency), then through pyarrow's S3 filesystem (the lake's writer); every object is
    checked by its part count and the sha256 of the bytes read back."""
    import boto3
    import pyarrow.fs as pafs
    from boto3.s3.transfer import TransferConfig
    from moto.server import ThreadedMotoServer

    transfer_configs = transfer_configs or [(8 * MB, 8 * MB, 1), (8 * MB, 8 * MB, 4), (8 * MB, 8 * MB, 10),
                                            (16 * MB, 16 * MB, 4), (512 * MB, 8 * MB, 4)]
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request otherwise
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bench",
                              aws_secret_access_key="bench")
        client.create_bucket(Bucket="bench")
        rows = []
        for name, path in files.items():
            data = path.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            for threshold, chunk, concurrency in transfer_configs:
                config = TransferConfig(multipart_threshold=threshold, multipart_chunksize=chunk,
                                        max_concurrency=concurrency, use_threads=concurrency > 1)
                key = f"boto3/{threshold}-{chunk}-{concurrency}/{path.name}"
                up, _ = timed(partial(client.upload_file, str(path), "bench", key, Config=config), repeat)
                down, back = timed(partial(_download, client, key, config), repeat)
                parts = _parts(client.head_object(Bucket="bench", Key=key)["ETag"])
                expected = math.ceil(len(data) / chunk) if len(data) >= threshold else 1
                rows.append({"file": name, "bytes": len(data), "writer": "boto3 upload_file",
                             "setting": f"threshold {threshold // MB} MB, part {chunk // MB} MB, concurrency {concurrency}",
                             "parts": parts, "expected_parts": expected, "same_bytes": hashlib.sha256(back).hexdigest() == digest,
                             "upload": up, "download": down})
            fs = pafs.S3FileSystem(access_key="bench", secret_key="bench", region="us-east-1",
                                   endpoint_override=endpoint, scheme="http")
            key = f"pyarrow/{path.name}"

            up, _ = timed(partial(_write_stream, fs, f"bench/{key}", data), repeat)
            down, back = timed(partial(_read_stream, fs, f"bench/{key}"), repeat)
            parts = _parts(client.head_object(Bucket="bench", Key=key)["ETag"])
            rows.append({"file": name, "bytes": len(data), "writer": "pyarrow S3FileSystem (the lake)",
                         "setting": "open_output_stream, pyarrow's defaults", "parts": parts, "expected_parts": None,
                         "same_bytes": hashlib.sha256(back).hexdigest() == digest, "upload": up, "download": down})
        if layout is not None and week is not None:
            rows.append(_s3_layout_pruning(client, endpoint, layout, week))
        return rows
    finally:
        server.stop()


def _download(client, key: str, config) -> bytes:
    buffer = io.BytesIO()
    client.download_fileobj("bench", key, buffer, Config=config)
    return buffer.getvalue()


def _write_stream(fs, path: str, data: bytes) -> None:
    with fs.open_output_stream(path, compression=None) as out:  # the lake's write path (Lake.write_files)
        out.write(data)


def _read_stream(fs, path: str) -> bytes:
    with fs.open_input_stream(path, compression=None) as f:  # bytes as stored, as Lake.read_bytes
        return f.read()


def _s3_layout_pruning(client, endpoint: str, layout: Path, week: int) -> dict:
    """The week-partitioned layout copied to S3 and queried for one week: only its file is read."""
    import pyarrow.fs as pafs

    fs = pafs.S3FileSystem(access_key="bench", secret_key="bench", region="us-east-1", endpoint_override=endpoint,
                           scheme="http")
    for path in sorted(layout.rglob("*.parquet")):
        client.upload_file(str(path), "bench", f"layout/{path.relative_to(layout).as_posix()}")
    partitioning = ds.partitioning(pa.schema([("shop_week", pa.int32())]), flavor="hive")
    dataset = ds.dataset("bench/layout", filesystem=fs, format="parquet", partitioning=partitioning)
    expression = ds.field("shop_week") == week
    opened = [f.path for f in dataset.get_fragments(filter=expression)]
    local = ds.dataset(layout, format="parquet", partitioning=partitioning).to_table(filter=expression)
    remote = dataset.to_table(filter=expression)
    return {"file": f"by-week layout ({len(list(layout.rglob('*.parquet')))} files)", "bytes": tree_bytes(layout),
            "writer": "pyarrow dataset on S3", "setting": f"filter shop_week = {week}", "parts": len(opened),
            "expected_parts": 1, "same_bytes": remote.equals(local), "upload": None, "download": None}


def s3_problems(rows: list[dict]) -> list[str]:
    return [f"{r['file']} via {r['writer']} ({r['setting']}): parts {r['parts']} (expected {r['expected_parts']}), "
            f"same bytes {r['same_bytes']}" for r in rows
            if not r["same_bytes"] or (r["expected_parts"] is not None and r["parts"] != r["expected_parts"])]
