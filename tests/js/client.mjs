// An S3 client for nubis (endpoint from NUBIS_ENDPOINT, path-style), which keeps the
// headers of every request it sends so a test can see what the SDK put on the wire.
import { S3Client } from "@aws-sdk/client-s3";

export function client() {
  const s3 = new S3Client({
    endpoint: process.env.NUBIS_ENDPOINT,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
  const sent = [];
  // The deserialize step is the last before the HTTP handler: the request is signed and complete.
  s3.middlewareStack.add((next, context) => async (args) => {
    sent.push({ operation: context.commandName, headers: { ...args.request.headers } });
    return next(args);
  }, { step: "deserialize", name: "recordSentHeaders" });
  return { s3, sent };
}

export function output(result) {
  process.stdout.write(JSON.stringify(result) + "\n");
}
