// The SQS client on NodeHttp2Handler (HTTP/2 with prior knowledge on http://): a queue,
// three messages sent at once (concurrent streams), received, and a service error.
import { sessions } from "./h2_sessions.mjs";
import { CreateQueueCommand, GetQueueUrlCommand, ReceiveMessageCommand, SendMessageCommand,
         SQSClient } from "@aws-sdk/client-sqs";
import { NodeHttp2Handler } from "@smithy/node-http-handler";
import { output } from "./client.mjs";

const sqs = new SQSClient({
  endpoint: process.env.NUBIS_ENDPOINT, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  requestHandler: new NodeHttp2Handler(),
});
const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "js-over-h2" }));
await Promise.all(["one", "two", "three"].map((MessageBody) => sqs.send(new SendMessageCommand({ QueueUrl, MessageBody }))));
const received = [];
while (received.length < 3) {
  const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  received.push(...(r.Messages ?? []).map((m) => m.Body));
}
let error;
try {
  await sqs.send(new GetQueueUrlCommand({ QueueName: "nowhere" }));
} catch (e) {
  error = e.name;
}
sqs.destroy();
output({ protocols: sessions, received: received.sort(), error });
