"""The data lake: the same keys on a local folder and on S3, through pyarrow's filesystems.

Writes are atomic. Locally a file is written and fsynced under a temporary name beside its
target (`.<name>.<random>.tmp`, which no reader's `*.parquet` glob matches and Hive-style
readers skip), then renamed over it. On S3 an object only changes when its upload completes
(pyarrow completes its multipart upload on close), so a killed upload leaves the previous
object and, at worst, an incomplete upload for the bucket's lifecycle rule. A set of
files (a week's raw and quarantine partitions) is staged entirely before the first commit,
and committed in the order given, so the last file named is the commit point.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

# One setting for every Parquet file the lake holds, so the same table always gives the same bytes.
PARQUET_OPTIONS = dict(compression="zstd", use_dictionary=True, write_statistics=True)


@dataclass(frozen=True)
class FileVersion:
    """What a listing says about a file, enough to tell that it changed without reading it.

    `token` is ETag and LastModified on S3 (the ETag changes whenever the content does, even
    within the same second and at the same size); locally mtime, ctime and inode, so an
    in-place rewrite that restores the old mtime is still seen.
    """

    size: int
    token: str


@lru_cache(maxsize=8)
def _s3_filesystem(region: str, endpoint: str | None) -> pafs.S3FileSystem:
    return pafs.S3FileSystem(
        region=region,
        endpoint_override=endpoint,
        scheme="http" if endpoint and endpoint.startswith("http://") else "https",
    )


@dataclass(frozen=True)
class Lake:
    fs: pafs.FileSystem
    root: str  # path inside fs, no trailing slash
    uri: str

    @classmethod
    def from_uri(cls, uri: str) -> Lake:
        parsed = urlparse(uri)
        if parsed.scheme == "s3":
            from retail_assets.settings import s3_connection  # the one module that reads the environment

            fs = _s3_filesystem(*s3_connection())
            root = f"{parsed.netloc}{parsed.path}".rstrip("/")
            return cls(fs=fs, root=root, uri=uri.rstrip("/"))
        if parsed.scheme not in ("", "file"):
            raise ValueError(f"a lake is a local folder or s3://bucket[/prefix], not {uri}")
        local = os.path.abspath(parsed.path if parsed.scheme == "file" else uri)
        os.makedirs(local, exist_ok=True)
        return cls(fs=pafs.LocalFileSystem(), root=local, uri=local)

    @property
    def is_local(self) -> bool:
        return isinstance(self.fs, pafs.LocalFileSystem)

    def path(self, key: str) -> str:
        return f"{self.root}/{key.lstrip('/')}"

    def uri_of(self, key: str) -> str:
        return f"{self.uri}/{key.lstrip('/')}"

    def exists(self, key: str) -> bool:
        return self.fs.get_file_info(self.path(key)).type != pafs.FileType.NotFound

    def list_files(self, prefix: str) -> list[pafs.FileInfo]:
        info = self.fs.get_file_info(pafs.FileSelector(self.path(prefix), allow_not_found=True, recursive=True))
        return sorted((i for i in info if i.type == pafs.FileType.File), key=lambda i: i.path)

    def list_versions(self, prefix: str) -> dict[str, FileVersion]:
        """key -> FileVersion of every file under `prefix`."""
        if self.is_local:
            found = {}
            for dirpath, _, names in os.walk(self.path(prefix)):
                for name in names:
                    st = os.stat(os.path.join(dirpath, name))
                    key = self.key_of(os.path.join(dirpath, name))
                    found[key] = FileVersion(st.st_size, f"{st.st_mtime_ns}-{st.st_ctime_ns}-{st.st_ino}")
            return dict(sorted(found.items()))
        return self._s3_versions(prefix)

    def _s3_versions(self, prefix: str) -> dict[str, FileVersion]:
        import boto3  # pyarrow's listings carry no ETag

        from retail_assets.settings import s3_connection

        region, endpoint = s3_connection()
        bucket, _, base = self.path(prefix).partition("/")
        client = boto3.client("s3", region_name=region, endpoint_url=endpoint)
        found = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=base.rstrip("/") + "/"):
            for obj in page.get("Contents", []):
                if obj["Key"].endswith("/"):
                    continue  # a directory marker (pyarrow leaves one when a folder's last file goes)
                modified = obj.get("LastModified")
                token = f"{obj.get('ETag', '')}|{modified.isoformat() if modified else ''}"
                found[self.key_of(f"{bucket}/{obj['Key']}")] = FileVersion(int(obj.get("Size", 0)), token)
        return dict(sorted(found.items()))

    def key_of(self, path: str) -> str:
        return path[len(self.root) + 1 :]

    def read_bytes(self, key: str) -> bytes:
        with self.fs.open_input_stream(self.path(key), compression=None) as f:  # bytes as stored, never auto-gunzipped
            return f.read()

    def write_bytes(self, key: str, data: bytes) -> None:
        self.write_files({key: data})

    def write_files(self, files: dict[str, bytes | None]) -> None:
        """Stage every file, then commit them in the given order; None deletes that key.

        Each commit is atomic. Nothing is committed until everything is staged, so a failure
        while staging changes nothing; the last key is the one that makes the set visible.
        """
        if not self.is_local:
            for key, data in files.items():
                if data is None:
                    self.delete(key)
                else:
                    with self.fs.open_output_stream(self.path(key), compression=None) as f:
                        f.write(data)
            return
        staged: dict[str, str] = {}
        try:
            for key, data in files.items():
                if data is not None:
                    staged[key] = self._stage(self.path(key), data)
            for key, data in files.items():
                if data is None:
                    self.delete(key)
                else:
                    target = self.path(key)
                    os.replace(staged[key], target)
                    del staged[key]
                    _fsync_dir(os.path.dirname(target))
        finally:
            for tmp in staged.values():
                if os.path.exists(tmp):
                    os.remove(tmp)

    def write_directory(self, prefix: str, files: Mapping[str, bytes]) -> None:
        """Replace directory `prefix` with exactly `files` (name -> bytes), atomically.

        Locally the files are written into a temporary directory beside it, which is renamed
        into place (an existing directory is moved aside first, since rename cannot replace a
        non-empty one), so a killed write leaves a `.tmp-*` directory and never half of one.
        On S3 the objects are put in the order given: name the commit marker last.
        """
        if not self.is_local:
            for name, data in files.items():
                self.write_bytes(f"{prefix}/{name}", data)
            return
        target = self.path(prefix)
        parent = os.path.dirname(target)
        os.makedirs(parent, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=f".tmp-{os.path.basename(target)}-", dir=parent)
        try:
            for name, data in files.items():
                with open(os.path.join(staging, name), "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
            if os.path.exists(target):
                retired = tempfile.mkdtemp(prefix=f".old-{os.path.basename(target)}-", dir=parent)
                os.replace(target, os.path.join(retired, "old"))
                os.replace(staging, target)
                shutil.rmtree(retired)
            else:
                os.replace(staging, target)
            _fsync_dir(parent)
        finally:
            if os.path.exists(staging):
                shutil.rmtree(staging)

    @staticmethod
    def _stage(target: str, data: bytes) -> str:
        parent = os.path.dirname(target)
        os.makedirs(parent, exist_ok=True)
        tmp = os.path.join(parent, f".{os.path.basename(target)}.{uuid.uuid4().hex}.tmp")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        return tmp

    def write_parquet(self, key: str, table: pa.Table) -> str:
        """Write a table atomically; return the sha256 of the bytes written."""
        data = parquet_bytes(table)
        self.write_bytes(key, data)
        return hashlib.sha256(data).hexdigest()

    def read_parquet(self, key: str) -> pa.Table:
        return pq.read_table(self.path(key), filesystem=self.fs)

    def parquet_metadata(self, key: str) -> pq.FileMetaData:
        """The footer only: row count and key-value metadata without reading the data."""
        with self.fs.open_input_file(self.path(key)) as f:
            return pq.ParquetFile(f).metadata

    def delete(self, key: str) -> None:
        if self.exists(key):
            self.fs.delete_file(self.path(key))

    def delete_dir(self, prefix: str) -> None:
        if self.exists(prefix):
            self.fs.delete_dir(self.path(prefix))


def parquet_bytes(table: pa.Table) -> bytes:
    """The table as Parquet with the lake's settings: the same table always gives the same bytes."""
    buf = io.BytesIO()
    pq.write_table(table, buf, **PARQUET_OPTIONS)
    return buf.getvalue()


def _fsync_dir(path: str) -> None:
    """Make a rename durable (the directory entry), where the platform allows it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
