// ListObjectsV2 paging through the SDK's paginator, DeleteObjects, and how S3 errors reach the caller.
import { CopyObjectCommand, CreateBucketCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand,
         ListObjectsV2Command,
         PutObjectCommand, paginateListObjectsV2 } from "@aws-sdk/client-s3";
import { client, output } from "./client.mjs";

const { s3 } = client();
const Bucket = process.env.BUCKET;
await s3.send(new CreateBucketCommand({ Bucket }));
for (let i = 0; i < 7; i++) await s3.send(new PutObjectCommand({ Bucket, Key: `k/${i}`, Body: `v${i}` }));

const pages = [];
for await (const page of paginateListObjectsV2({ client: s3, pageSize: 3 }, { Bucket, Prefix: "k/" })) {
  pages.push({ keys: (page.Contents ?? []).map((o) => o.Key), KeyCount: page.KeyCount, IsTruncated: page.IsTruncated });
}

// A key that needs encoding in the path, the copy source and the listing.
const odd = "dir/ü ñ+&=?#%~'.txt";
await s3.send(new PutObjectCommand({ Bucket, Key: odd, Body: "odd" }));
const CopySource = `${Bucket}/${encodeURIComponent(odd)}`;
await s3.send(new CopyObjectCommand({ Bucket, Key: `${odd}.copy`, CopySource }));
const oddBody = await (await s3.send(new GetObjectCommand({ Bucket, Key: `${odd}.copy` }))).Body.transformToString();
const oddPage = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: "dir/" }));
const oddListed = (oddPage.Contents ?? []).map((o) => o.Key);

const deleted = await s3.send(new DeleteObjectsCommand({
  Bucket, Delete: { Objects: ["k/0", "k/1", "never-was", odd, `${odd}.copy`].map((Key) => ({ Key })) } }));
const after = await s3.send(new ListObjectsV2Command({ Bucket }));

async function failure(command) {
  try {
    await s3.send(command);
    return null;
  } catch (e) {
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode, fault: e.$fault,
             Key: e.Key, BucketName: e.BucketName };
  }
}

output({
  pages,
  odd: { body: oddBody, listed: oddListed },
  deleted: (deleted.Deleted ?? []).map((d) => d.Key).sort(),
  errors: deleted.Errors ?? [],
  remaining: (after.Contents ?? []).map((o) => o.Key),
  noSuchKey: await failure(new GetObjectCommand({ Bucket, Key: "k/0" })),
  headMissing: await failure(new HeadObjectCommand({ Bucket, Key: "k/0" })),
  noSuchBucket: await failure(new ListObjectsV2Command({ Bucket: "no-such-bucket-here" })),
});
