// PutObject and GetObject with the SDK's default CRC32 checksum: a header for a body of known
// content (with Expect: 100-continue from 2 MiB), an aws-chunked trailer for a stream.
import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { client, output } from "./client.mjs";

const { s3, sent } = client();
const Bucket = process.env.BUCKET;
const data = readFileSync(process.env.DATA_FILE);
await s3.send(new CreateBucketCommand({ Bucket }));

async function put(Key, Body, extra = {}) {
  const r = await s3.send(new PutObjectCommand({ Bucket, Key, Body, ...extra }));
  const sentHeaders = sent.at(-1).headers;
  const head = await s3.send(new HeadObjectCommand({ Bucket, Key, ChecksumMode: "ENABLED" }));
  const got = await s3.send(new GetObjectCommand({ Bucket, Key }));
  // The SDK asks for the checksum on GET by default and checks the body against it as it reads.
  const getChecksumMode = sent.at(-1).headers["x-amz-checksum-mode"];
  const body = Buffer.from(await got.Body.transformToByteArray());
  return {
    getChecksumMode, gotChecksumCRC32: got.ChecksumCRC32,
    sent: sentHeaders,
    put: { ETag: r.ETag, ChecksumCRC32: r.ChecksumCRC32 },
    head: { ETag: head.ETag, ChecksumCRC32: head.ChecksumCRC32, ChecksumType: head.ChecksumType,
            ContentType: head.ContentType, ContentLength: head.ContentLength },
    same: body.equals(typeof Body === "string" ? Buffer.from(Body) : Buffer.isBuffer(Body) ? Body : data),
    text: typeof Body === "string" ? body.toString() : undefined,
  };
}

// A stream in 64 KiB pieces, as from a file or a socket.
const pieces = [];
for (let i = 0; i < data.length; i += 65536) pieces.push(data.subarray(i, i + 65536));

output({
  small: await put("small.txt", "hello from node", { ContentType: "text/plain" }),
  buffer: await put("buffer.bin", data),
  stream: await put("stream.bin", Readable.from(pieces), { ContentLength: data.length }),
});
