// The S3 client on NodeHttp2Handler: a 3 MiB PutObject (the SDK sends Expect: 100-continue
// and waits up to 6 s for the 100 before the body), then the object read back.
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { NodeHttp2Handler } from "@smithy/node-http-handler";
import { sessions } from "./h2_sessions.mjs";
import { output } from "./client.mjs";

const s3 = new S3Client({
  endpoint: process.env.NUBIS_ENDPOINT, region: "us-east-1", forcePathStyle: true, maxAttempts: 1,
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  requestHandler: new NodeHttp2Handler(),
});
const sent = [];
s3.middlewareStack.add((next) => async (args) => { sent.push(args.request.headers.Expect ?? args.request.headers.expect); return next(args); },
                       { step: "finalizeRequest", name: "recordExpect", priority: "low" });
const Bucket = "js-over-h2";
const data = Buffer.alloc(3 * 1024 * 1024, 7);
await s3.send(new CreateBucketCommand({ Bucket }));
const started = Date.now();
await s3.send(new PutObjectCommand({ Bucket, Key: "big.bin", Body: data }));
const putMs = Date.now() - started;
const got = await s3.send(new GetObjectCommand({ Bucket, Key: "big.bin" }));
const same = Buffer.from(await got.Body.transformToByteArray()).equals(data);
s3.destroy();
output({ protocols: [...new Set(sessions)], putMs, same, expect: sent[1] ?? null });
