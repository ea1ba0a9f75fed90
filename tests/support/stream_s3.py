"""A test-only provider: S3 PutObject/GetObject streamed through the blob store.

It proves the gateway's streaming in both directions (a large body never sits
in memory) before the S3 issue lands; loaded only through the ``providers``
setting in tests.
"""
import asyncio
import hashlib

from nubis.protocol.errors import ServiceError
from nubis.services.base import Provider


class StreamS3(Provider):
    service = "s3"
    migrations = ["CREATE TABLE s3_objects (bucket TEXT, key TEXT, blob TEXT, size INTEGER, etag TEXT, "
                  "PRIMARY KEY (bucket, key));"]

    async def put_object(self, ctx, params):
        body = params.get("Body", b"")
        md5 = hashlib.md5()
        if isinstance(body, (bytes, bytearray)):
            md5.update(body)
            blob = self.blobs.put(bytes(body))
            size = len(body)
        else:
            loop = asyncio.get_running_loop()
            w = await self.blobs.put_stream(body, [md5], run=lambda fn, *a: loop.run_in_executor(None, fn, *a))
            blob, size = w.id, w.size
        etag = f'"{md5.hexdigest()}"'
        with self.db.transaction():
            self.db.execute("INSERT OR REPLACE INTO s3_objects VALUES (?, ?, ?, ?, ?)",
                            (params["Bucket"], params["Key"], blob, size, etag))
        return {"ETag": etag}

    async def get_object(self, ctx, params):
        row = self.db.query_one("SELECT blob, size, etag FROM s3_objects WHERE bucket = ? AND key = ?",
                                (params["Bucket"], params["Key"]))
        if row is None:
            raise ServiceError("NoSuchKey", "The specified key does not exist.", 404, Key=params["Key"])
        f = self.blobs.open(row[0])

        async def chunks():
            loop = asyncio.get_running_loop()
            try:
                while True:
                    chunk = await loop.run_in_executor(None, f.read, 1 << 20)
                    if not chunk:
                        return
                    yield chunk
            finally:
                f.close()

        return {"Body": chunks(), "ContentLength": row[1], "ETag": row[2]}
