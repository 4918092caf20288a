"""The data lake: the same keys on a local folder and on S3, through pyarrow's filesystems.

Writes are atomic: data goes to a temporary key first and is then moved into place (a
rename on a local disk; on S3 a completed PUT is already all-or-nothing, so the object is
written straight to its key and never seen half-written).
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from dataclasses import dataclass
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

# One setting for every Parquet file the lake holds, so the same table always gives the same bytes.
PARQUET_OPTIONS = dict(compression="zstd", use_dictionary=True, write_statistics=True)


@dataclass(frozen=True)
class Lake:
    fs: pafs.FileSystem
    root: str  # path inside fs, no trailing slash
    uri: str

    @classmethod
    def from_uri(cls, uri: str) -> "Lake":
        parsed = urlparse(uri)
        if parsed.scheme == "s3":
            endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
            fs = pafs.S3FileSystem(
                region=os.environ.get("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", "ap-southeast-1")),
                endpoint_override=endpoint,
                scheme="http" if endpoint and endpoint.startswith("http://") else "https",
            )
            root = f"{parsed.netloc}{parsed.path}".rstrip("/")
            return cls(fs=fs, root=root, uri=uri.rstrip("/"))
        local = os.path.abspath(uri)
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

    def key_of(self, path: str) -> str:
        return path[len(self.root) + 1 :]

    def read_bytes(self, key: str) -> bytes:
        with self.fs.open_input_stream(self.path(key), compression=None) as f:  # bytes as stored, never auto-gunzipped
            return f.read()

    def write_bytes(self, key: str, data: bytes) -> None:
        target = self.path(key)
        if not self.is_local:
            with self.fs.open_output_stream(target, compression=None) as f:
                f.write(data)
            return
        parent = os.path.dirname(target)
        os.makedirs(parent, exist_ok=True)
        tmp = os.path.join(parent, f".tmp-{uuid.uuid4().hex}-{os.path.basename(target)}")
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)

    def write_parquet(self, key: str, table: pa.Table) -> str:
        """Write a table atomically; return the sha256 of the bytes written."""
        buf = io.BytesIO()
        pq.write_table(table, buf, **PARQUET_OPTIONS)
        data = buf.getvalue()
        self.write_bytes(key, data)
        return hashlib.sha256(data).hexdigest()

    def read_parquet(self, key: str) -> pa.Table:
        return pq.read_table(self.path(key), filesystem=self.fs)

    def delete(self, key: str) -> None:
        if self.exists(key):
            self.fs.delete_file(self.path(key))

    def delete_dir(self, prefix: str) -> None:
        if self.exists(prefix):
            self.fs.delete_dir(self.path(prefix))
