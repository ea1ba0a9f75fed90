// The AWS SDK for JavaScript v3 (tests/js's packages) against an enforcing nubis:
// its own SigV4 signer, presigner and aws-chunked streams, with the right and a wrong secret.
import { createRequire } from "node:module";
import { Readable } from "node:stream";

const require = createRequire(process.env.JS_DIR + "/package.json");
const { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, ListObjectsV2Command } =
  require("@aws-sdk/client-s3");
const { getSignedUrl } = require("@aws-sdk/s3-request-presigner");

function client(secretAccessKey) {
  return new S3Client({ endpoint: process.env.NUBIS_ENDPOINT, region: "us-east-1", forcePathStyle: true,
                        credentials: { accessKeyId: "test", secretAccessKey }, maxAttempts: 1 });
}

const s3 = client("test");
const Bucket = "js-signed";
await s3.send(new CreateBucketCommand({ Bucket }));
await s3.send(new PutObjectCommand({ Bucket, Key: "plain key (1).txt", Body: "from node" }));
const pieces = [Buffer.alloc(70000, 97), Buffer.alloc(70000, 98)];
await s3.send(new PutObjectCommand({ Bucket, Key: "streamed", Body: Readable.from(pieces), ContentLength: 140000 }));
const got = await s3.send(new GetObjectCommand({ Bucket, Key: "plain key (1).txt" }));
const text = await got.Body.transformToString();
const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: "plain " }));

const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket, Key: "plain key (1).txt" }), { expiresIn: 60 });
const presigned = await fetch(url);
const presignedText = await presigned.text();
const tampered = await fetch(url.replace("plain%20key", "plain%20kez"));

let wrong;
try {
  await client("wrong").send(new ListObjectsV2Command({ Bucket }));
} catch (e) {
  wrong = { name: e.name, status: e.$metadata.httpStatusCode };
}
process.stdout.write(JSON.stringify({
  text, keys: (listed.Contents || []).map((o) => o.Key),
  presigned: { status: presigned.status, text: presignedText }, tampered: tampered.status, wrong,
}) + "\n");
