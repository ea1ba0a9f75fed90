// @aws-sdk/lib-storage's Upload: a multipart upload in 5 MiB parts, several at a time, with checksums.
import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { client, output } from "./client.mjs";

const { s3, sent } = client();
const Bucket = process.env.BUCKET;
const data = readFileSync(process.env.DATA_FILE);
await s3.send(new CreateBucketCommand({ Bucket }));

const progress = [];
// A stream of unknown length, as lib-storage is mostly used.
const upload = new Upload({
  client: s3,
  params: { Bucket, Key: "uploaded.bin", Body: Readable.from([data]), ContentType: "application/x-upload",
            Metadata: { via: "lib-storage" } },
  partSize: 5 * 1024 * 1024,
  queueSize: 3,
});
upload.on("httpUploadProgress", (p) => progress.push(p.loaded));
const done = await upload.done();
const head = await s3.send(new HeadObjectCommand({ Bucket, Key: "uploaded.bin", ChecksumMode: "ENABLED" }));
const got = await s3.send(new GetObjectCommand({ Bucket, Key: "uploaded.bin" }));
const body = Buffer.from(await got.Body.transformToByteArray());

// A body smaller than a part is one PutObject.
const small = await new Upload({
  client: s3, params: { Bucket, Key: "small.txt", Body: Readable.from([Buffer.from("tiny")]) } }).done();
const smallOperations = sent.slice(-1).map((s) => s.operation);

output({
  small: { ETag: small.ETag, operations: smallOperations },
  operations: sent.slice(0, -1).map((s) => s.operation),
  partHeaders: sent.filter((s) => s.operation === "UploadPartCommand").map((s) => s.headers),
  done: { ETag: done.ETag, Key: done.Key, Bucket: done.Bucket, Location: done.Location,
          ChecksumCRC32: done.ChecksumCRC32 },
  head: { ETag: head.ETag, ChecksumCRC32: head.ChecksumCRC32, ChecksumType: head.ChecksumType,
          ContentType: head.ContentType, ContentLength: head.ContentLength, Metadata: head.Metadata },
  loaded: Math.max(...progress),
  same: Buffer.compare(body, data) === 0,
});
