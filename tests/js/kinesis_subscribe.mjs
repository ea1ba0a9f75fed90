// SubscribeToShard over the Kinesis client's default HTTP/2 handler: an event stream
// that brings the records already there, then one put while it is open, then is aborted.
import { sessions } from "./h2_sessions.mjs";
import { CreateStreamCommand, DescribeStreamConsumerCommand, DescribeStreamSummaryCommand, KinesisClient,
         ListShardsCommand, PutRecordCommand, RegisterStreamConsumerCommand,
         SubscribeToShardCommand } from "@aws-sdk/client-kinesis";
import { output } from "./client.mjs";

const kinesis = new KinesisClient({
  endpoint: process.env.NUBIS_ENDPOINT, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});
const StreamName = "js-subscribed";
await kinesis.send(new CreateStreamCommand({ StreamName, ShardCount: 1 }));
let StreamARN;
for (let i = 0; ; i++) {
  const { StreamDescriptionSummary: s } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName }));
  if (s.StreamStatus === "ACTIVE") { StreamARN = s.StreamARN; break; }
  if (i > 100) throw new Error(`stream still ${s.StreamStatus}`);
  await new Promise((r) => setTimeout(r, 100));
}
const { Consumer } = await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN, ConsumerName: "js" }));
for (let i = 0; ; i++) {
  const { ConsumerDescription: c } = await kinesis.send(
    new DescribeStreamConsumerCommand({ ConsumerARN: Consumer.ConsumerARN }));
  if (c.ConsumerStatus === "ACTIVE") break;
  if (i > 100) throw new Error(`consumer still ${c.ConsumerStatus}`);
  await new Promise((r) => setTimeout(r, 100));
}
for (const text of ["before-1", "before-2"]) {
  await kinesis.send(new PutRecordCommand({ StreamName, PartitionKey: "p", Data: Buffer.from(text) }));
}
const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName }));
const subscription = new AbortController();
const { EventStream } = await kinesis.send(new SubscribeToShardCommand({
  ConsumerARN: Consumer.ConsumerARN, ShardId: Shards[0].ShardId, StartingPosition: { Type: "TRIM_HORIZON" } }),
  { abortSignal: subscription.signal });
const records = [];
let events = 0;
let putWhileOpen = false;
for await (const event of EventStream) {
  if (!event.SubscribeToShardEvent) continue;
  events++;
  records.push(...event.SubscribeToShardEvent.Records.map((r) => Buffer.from(r.Data).toString()));
  if (records.length >= 3) break;
  if (records.length === 2 && !putWhileOpen) {
    putWhileOpen = true;
    await kinesis.send(new PutRecordCommand({ StreamName, PartitionKey: "p", Data: Buffer.from("during") }));
  }
}
subscription.abort();  // leave the subscription (it would last 5 minutes): the SDK resets the stream
kinesis.destroy();
output({ protocols: [...new Set(sessions)], events, records });
