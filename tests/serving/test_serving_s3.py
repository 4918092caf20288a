"""Bundles and the registry index read from S3 (a local moto server) through pyarrow.fs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bundles import write_bundle

from retail_assets.contract.bundle import load_bundle
from serving.reloader import BundleReloader

moto_server = pytest.importorskip("moto.server")


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch):
    import pyarrow.fs as pafs

    from retail_assets.contract.bundle_format import _bucket_filesystem

    _bucket_filesystem.cache_clear()  # filesystems are cached per bucket, endpoint included
    server = moto_server.ThreadedMotoServer(port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
                        "AWS_ENDPOINT_URL": f"http://{host}:{port}"}.items():
        monkeypatch.setenv(name, value)
    fs = pafs.S3FileSystem(endpoint_override=f"http://{host}:{port}", scheme="http",
                           region="us-east-1", allow_bucket_creation=True)
    fs.create_dir("mlops-dev-retail")
    yield fs
    server.stop()
    _bucket_filesystem.cache_clear()


def upload(fs, local: Path, key: str) -> str:
    for f in local.iterdir():
        with fs.open_output_stream(f"mlops-dev-retail/{key}/{f.name}") as out:
            out.write(f.read_bytes())
    return f"s3://mlops-dev-retail/{key}"


def test_bundle_and_index_on_s3(s3, tmp_path: Path, model_bytes: bytes) -> None:
    uri = upload(s3, write_bundle(tmp_path / "v0001", "v0001", model=model_bytes),
                 "retail/artifacts/models/v0001")
    assert load_bundle(uri).version == "v0001"

    index = {"production": "v0001", "versions": {"v0001": {"stage": "Production", "bundle_uri": uri}}}
    with s3.open_output_stream("mlops-dev-retail/retail/artifacts/registry/index.json") as out:
        out.write(json.dumps(index).encode())
    reloader = BundleReloader(registry_uri="s3://mlops-dev-retail/retail/artifacts/registry/index.json")
    assert reloader.refresh() is True and reloader.current.uri == uri
