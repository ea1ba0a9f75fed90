// URLs from @aws-sdk/s3-request-presigner, used with plain fetch: PUT, then GET, then an expired one.
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { client, output } from "./client.mjs";

const { s3 } = client();
const Bucket = process.env.BUCKET;
await s3.send(new CreateBucketCommand({ Bucket }));

const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket, Key: "presigned.txt" }), { expiresIn: 300 });
const put = await fetch(putUrl, { method: "PUT", body: "sent through a presigned URL" });
const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket, Key: "presigned.txt" }), { expiresIn: 300 });
const get = await fetch(getUrl);

output({
  putUrl, getUrl,
  put: { status: put.status, etag: put.headers.get("etag") },
  get: { status: get.status, body: await get.text() },
});
