// The Kinesis client as it comes (its default handler is NodeHttp2Handler: HTTP/2 with
// prior knowledge, even on http://): CreateStream, PutRecord, GetShardIterator, GetRecords.
import { sessions } from "./h2_sessions.mjs";
import { CreateStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand,
         KinesisClient, ListShardsCommand, PutRecordCommand } from "@aws-sdk/client-kinesis";
import { output } from "./client.mjs";

const kinesis = new KinesisClient({
  endpoint: process.env.NUBIS_ENDPOINT, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});
let sent = 0;  // requests that reached the HTTP handler
kinesis.middlewareStack.add((next) => async (args) => { sent++; return next(args); },
                            { step: "deserialize", name: "countRequests" });
const StreamName = "js-over-h2";
await kinesis.send(new CreateStreamCommand({ StreamName, ShardCount: 1 }));
for (let i = 0; ; i++) {
  const { StreamDescriptionSummary: s } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName }));
  if (s.StreamStatus === "ACTIVE") break;
  if (i > 100) throw new Error(`stream still ${s.StreamStatus}`);
  await new Promise((r) => setTimeout(r, 100));
}
for (const text of ["first", "second"]) {
  await kinesis.send(new PutRecordCommand({ StreamName, PartitionKey: "p", Data: Buffer.from(text) }));
}
const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName }));
const { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({
  StreamName, ShardId: Shards[0].ShardId, ShardIteratorType: "TRIM_HORIZON" }));
const { Records } = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
const handler = kinesis.config.requestHandler.constructor.name;
kinesis.destroy();
output({ handler, calls: sent, protocols: sessions, records: Records.map((r) => Buffer.from(r.Data).toString()) });
