"""Many consumers on one queue: each message goes to exactly one of them."""
import collections
import concurrent.futures
import threading
import time

from botocore.config import Config

from .conftest import attrs

THREADS = 16


def clients(nubis, n):
    # Made here, in one thread: creating boto3 clients is not thread-safe; using them is.
    config = Config(max_pool_connections=4, retries={"max_attempts": 1})
    return [nubis.client("sqs", config=config) for _ in range(n)]


def test_sixteen_consumers_receive_every_message_exactly_once(nubis, sqs, make_queue):
    url = make_queue("work", VisibilityTimeout=3600)
    sent = set()
    for start in range(0, 500, 10):
        response = sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": f"job-{i}"} for i in range(start, start + 10)])
        assert not response["Failed"]
        sent.update(s["MessageId"] for s in response["Successful"])
    assert len(sent) == 500

    barrier = threading.Barrier(THREADS)

    def consume(client):
        got = []
        barrier.wait()
        while True:
            messages = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                              WaitTimeSeconds=0).get("Messages", [])
            if not messages:
                return got
            got += [m["MessageId"] for m in messages]
            # Delete half of them, so deletes race with receives too.
            client.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages[::2])])

    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(consume, clients(nubis, THREADS)))

    received = [mid for got in results for mid in got]
    duplicates = [mid for mid, n in collections.Counter(received).items() if n > 1]
    assert duplicates == []
    assert set(received) == sent
    assert sum(1 for got in results if got) > 1  # the work was shared
    a = attrs(sqs, url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")
    assert a["ApproximateNumberOfMessages"] == "0"
    assert 240 <= int(a["ApproximateNumberOfMessagesNotVisible"]) <= 260


def test_concurrent_fifo_consumers_keep_each_group_in_order(nubis, sqs, make_queue):
    url = make_queue("work.fifo", FifoQueue="true", VisibilityTimeout=3600)
    groups, per_group = 8, 25
    for i in range(per_group):
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": f"g{g}", "MessageBody": f"{g}:{i}", "MessageGroupId": f"g{g}",
             "MessageDeduplicationId": f"{g}-{i}"} for g in range(groups)])

    log: list[tuple[int, int]] = []
    lock = threading.Lock()

    def consume(client):
        empty = 0
        while empty < 3:
            messages = client.receive_message(QueueUrl=url, MaxNumberOfMessages=3,
                                              WaitTimeSeconds=0).get("Messages", [])
            if not messages:
                empty += 1
                continue
            empty = 0
            with lock:  # record before deleting: the group's next message is not given out until then
                log.extend(tuple(int(x) for x in m["Body"].split(":")) for m in messages)
            for m in messages:
                client.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(consume, clients(nubis, THREADS)))

    assert len(log) == groups * per_group
    for g in range(groups):
        assert [i for gg, i in log if gg == g] == list(range(per_group))


def test_concurrent_fifo_senders_get_distinct_increasing_sequence_numbers(nubis, sqs, make_queue):
    url = make_queue("seq.fifo", FifoQueue="true", ContentBasedDeduplication="true")

    def send(args):
        client, n = args
        return [(client.send_message(QueueUrl=url, MessageBody=f"{n}-{i}", MessageGroupId="one")["SequenceNumber"],
                 f"{n}-{i}") for i in range(20)]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = [r for rs in pool.map(send, [(c, n) for n, c in enumerate(clients(nubis, 8))]) for r in rs]
    numbers = [int(s) for s, _ in results]
    assert len(set(numbers)) == 160
    in_sequence = [body for _, body in sorted(results, key=lambda r: int(r[0]))]
    received = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            break
        received += [m["Body"] for m in messages]
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                        for i, m in enumerate(messages)])
    assert received == in_sequence


def test_long_polling_consumers_share_messages_sent_while_they_wait(nubis, sqs, make_queue):
    url = make_queue("polled", VisibilityTimeout=3600)
    received: list[str] = []
    lock = threading.Lock()

    def consume(client):
        while True:
            messages = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                              WaitTimeSeconds=20).get("Messages", [])
            if not messages:
                return
            with lock:
                received.extend(m["MessageId"] for m in messages)

    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(consume, c) for c in clients(nubis, THREADS)]
        time.sleep(0.3)  # all parked in a long poll
        sent = set()
        for start in range(0, 300, 10):
            response = sqs.send_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "MessageBody": f"job-{i}"} for i in range(start, start + 10)])
            sent.update(s["MessageId"] for s in response["Successful"])
        deadline = time.monotonic() + 15
        while len(received) < 300 and time.monotonic() < deadline:
            time.sleep(0.02)
        # The waits end on the clock: every consumer returns empty and stops (advanced
        # again for one that was between two receives the first time).
        deadline = time.monotonic() + 10
        while not all(f.done() for f in futures) and time.monotonic() < deadline:
            nubis.advance(21)
            time.sleep(0.05)
        for f in futures:
            f.result(timeout=1)
    assert len(received) == 300
    assert set(received) == sent
