#!/usr/bin/env python3
"""Self-test of faults.py: starts serve.py on a free port and checks, with boto3, that
each fault is raised as the real service's error, is used up after `times` requests, and
leaves requests it does not match alone.

Usage: python3 infra/emulator/test_faults.py [-v]
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError

HERE = os.path.dirname(os.path.abspath(__file__))
ENDPOINT = None
SERVER = None
LOG = None


def setUpModule():
    global ENDPOINT, SERVER, LOG
    tmp = tempfile.mkdtemp(prefix="faults-test-")
    port_file = os.path.join(tmp, "port")
    LOG = open(os.path.join(tmp, "emulator.log"), "w+")
    SERVER = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "serve.py"), "--port", "0", "--port-file", port_file],
        stdout=LOG,
        stderr=subprocess.STDOUT,
    )
    for _ in range(300):
        if os.path.exists(port_file) and os.path.getsize(port_file):
            break
        if SERVER.poll() is not None:
            LOG.seek(0)
            raise RuntimeError("the emulator failed to start:\n" + LOG.read())
        time.sleep(0.1)
    else:
        raise RuntimeError("the emulator did not start within 30 s")
    with open(port_file) as f:
        ENDPOINT = f"http://127.0.0.1:{f.read().strip()}"


def tearDownModule():
    SERVER.terminate()
    SERVER.wait(timeout=10)
    LOG.close()


def client(service, attempts=1, read_timeout=10):
    """A boto3 client; by default without retries, so one call is one request."""
    config = Config(
        retries={"mode": "standard", "total_max_attempts": attempts},
        read_timeout=read_timeout,
        connect_timeout=5,
        s3={"addressing_style": "path"},
    )
    return boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=config,
    )


def control(method, query=None, body=None):
    url = ENDPOINT + "/_faults"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def inject(service, operation, match, fault, times=1, **extra):
    status, body = control("POST", body={
        "service": service, "operation": operation, "match": match, "fault": fault, "times": times, **extra,
    })
    assert status == 200, body
    return body["rule"]


def remaining(match):
    _, body = control("GET", {"match": match})
    return sum(rule["remaining"] for rule in body["rules"])


class Names:
    counter = 0

    @classmethod
    def next(cls, label):
        cls.counter += 1
        return f"faults-{label}-{os.getpid()}-{cls.counter}"


def create_table(dynamodb, name):
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def put(table, key):
    return {"Put": {"TableName": table, "Item": {"PK": {"S": key}}}}


def code(error):
    return error.exception.response["Error"]["Code"]


def status(error):
    return error.exception.response["ResponseMetadata"]["HTTPStatusCode"]


class ControlEndpoint(unittest.TestCase):
    def test_rejects_unknown_services_faults_and_counts(self):
        bad = [
            {"service": "lambda", "operation": "Invoke", "match": "x", "fault": "internal"},
            {"service": "sqs", "operation": "SendMessage", "match": "x", "fault": "slow_down"},
            {"service": "dynamodb", "operation": "PutItem", "match": "x", "fault": "transaction_conflict"},
            {"service": "s3", "operation": "PutObject", "match": "", "fault": "internal"},
            {"service": "s3", "operation": "PutObject", "match": "x", "fault": "internal", "times": 0},
        ]
        for rule in bad:
            status_code, body = control("POST", body=rule)
            self.assertEqual(status_code, 400, rule)
            self.assertIn("error", body)

    def test_delete_removes_only_that_match(self):
        a, b = Names.next("a"), Names.next("b")
        inject("dynamodb", "PutItem", a, "internal", times=2)
        inject("dynamodb", "GetItem", a, "internal")
        inject("dynamodb", "PutItem", b, "internal")
        _, body = control("DELETE", {"match": a})
        self.assertEqual(len(body["removed"]), 2)
        self.assertEqual(remaining(a), 0)
        self.assertEqual(remaining(b), 1)
        control("DELETE", {"match": b})


class DynamoDB(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = client("dynamodb")
        cls.table = Names.next("table")
        cls.other = Names.next("other")
        create_table(cls.db, cls.table)
        create_table(cls.db, cls.other)

    def tearDown(self):
        control("DELETE", {"match": self.table})

    def get(self, table, key):
        return self.db.get_item(TableName=table, Key={"PK": {"S": key}}).get("Item")

    def test_transaction_conflict_names_every_action_and_writes_nothing(self):
        inject("dynamodb", "TransactWriteItems", self.table, "transaction_conflict", times=2)
        items = [put(self.table, "tx-1"), put(self.table, "tx-2"), put(self.table, "tx-3")]
        for _ in range(2):
            with self.assertRaises(ClientError) as e:
                self.db.transact_write_items(TransactItems=items)
            self.assertEqual(code(e), "TransactionCanceledException")
            self.assertEqual(status(e), 400)
            reasons = e.exception.response["CancellationReasons"]
            self.assertEqual([r["Code"] for r in reasons], ["TransactionConflict"] * 3)
            self.assertIn("[TransactionConflict, TransactionConflict, TransactionConflict]",
                          e.exception.response["Error"]["Message"])
            self.assertIsNone(self.get(self.table, "tx-1"))
        # Used up: the third goes through.
        self.db.transact_write_items(TransactItems=items)
        self.assertIsNotNone(self.get(self.table, "tx-3"))
        self.assertEqual(remaining(self.table), 0)

    def test_throughput_exceeded(self):
        inject("dynamodb", "PutItem", self.table, "throughput_exceeded")
        with self.assertRaises(ClientError) as e:
            self.db.put_item(TableName=self.table, Item={"PK": {"S": "pt"}})
        self.assertEqual(code(e), "ProvisionedThroughputExceededException")
        self.assertEqual(status(e), 400)
        reason = e.exception.response["ThrottlingReasons"][0]
        self.assertEqual(reason["reason"], "TableWriteKeyRangeThroughputExceeded")
        self.assertTrue(reason["resource"].endswith(f":table/{self.table}"))
        self.assertIsNone(self.get(self.table, "pt"))
        self.db.put_item(TableName=self.table, Item={"PK": {"S": "pt"}})
        self.assertIsNotNone(self.get(self.table, "pt"))

    def test_throttling(self):
        inject("dynamodb", "Query", self.table, "throttling")
        query = dict(
            TableName=self.table,
            KeyConditionExpression="PK = :k",
            ExpressionAttributeValues={":k": {"S": "q"}},
        )
        with self.assertRaises(ClientError) as e:
            self.db.query(**query)
        self.assertEqual(code(e), "ThrottlingException")
        self.assertEqual(status(e), 400)
        self.assertEqual(e.exception.response["throttlingReasons"][0]["reason"], "TableReadMaxOnDemandThroughputExceeded")
        self.db.query(**query)

    def test_internal(self):
        inject("dynamodb", "GetItem", self.table, "internal")
        with self.assertRaises(ClientError) as e:
            self.get(self.table, "x")
        self.assertEqual(code(e), "InternalServerError")
        self.assertEqual(status(e), 500)
        self.get(self.table, "x")

    def test_batch_get_matches_its_table(self):
        inject("dynamodb", "BatchGetItem", self.table, "internal")
        with self.assertRaises(ClientError) as e:
            self.db.batch_get_item(RequestItems={self.table: {"Keys": [{"PK": {"S": "x"}}]}})
        self.assertEqual(code(e), "InternalServerError")

    def test_other_tables_and_operations_are_untouched(self):
        inject("dynamodb", "PutItem", self.table, "internal")
        self.db.put_item(TableName=self.other, Item={"PK": {"S": "other"}})  # another table
        self.get(self.table, "x")  # another operation
        self.assertEqual(remaining(self.table), 1)
        with self.assertRaises(ClientError):
            self.db.put_item(TableName=self.table, Item={"PK": {"S": "mine"}})
        self.assertEqual(remaining(self.table), 0)

    def test_sdk_retries_use_up_the_rule(self):
        retrying = client("dynamodb", attempts=3)
        inject("dynamodb", "PutItem", self.table, "throttling", times=2)
        retrying.put_item(TableName=self.table, Item={"PK": {"S": "retried"}})  # third attempt passes
        self.assertIsNotNone(self.get(self.table, "retried"))
        inject("dynamodb", "PutItem", self.table, "throttling", times=3)
        with self.assertRaises(ClientError) as e:
            retrying.put_item(TableName=self.table, Item={"PK": {"S": "gave-up"}})
        self.assertEqual(code(e), "ThrottlingException")
        self.assertEqual(remaining(self.table), 0)
        self.assertIsNone(self.get(self.table, "gave-up"))

    def test_timeout_holds_the_request_without_blocking_others(self):
        inject("dynamodb", "PutItem", self.table, "timeout", delay_secs=2)
        impatient = client("dynamodb", read_timeout=0.5)
        started = time.monotonic()
        with self.assertRaises(ReadTimeoutError):
            impatient.put_item(TableName=self.table, Item={"PK": {"S": "late"}})
        self.assertLess(time.monotonic() - started, 1.5)
        # The held request does not hold the emulator: others are served meanwhile.
        started = time.monotonic()
        self.db.put_item(TableName=self.other, Item={"PK": {"S": "meanwhile"}})
        self.assertLess(time.monotonic() - started, 1.0)
        self.assertIsNone(self.get(self.table, "late"))
        # After the delay it is served normally: the write lands, as it may on AWS.
        time.sleep(2.0)
        self.assertIsNotNone(self.get(self.table, "late"))


class SQS(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sqs = client("sqs")
        name = Names.next("queue")
        cls.url = cls.sqs.create_queue(QueueName=name)["QueueUrl"]
        # A queue whose name extends the first one's, as the harness's -publish queue does.
        cls.longer = cls.sqs.create_queue(QueueName=name + "-publish")["QueueUrl"]
        cls.match = f'"{cls.url}"'

    def tearDown(self):
        control("DELETE", {"match": self.match})

    def received(self, url):
        return self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])

    def test_internal_on_send(self):
        inject("sqs", "SendMessage", self.match, "internal")
        with self.assertRaises(ClientError) as e:
            self.sqs.send_message(QueueUrl=self.url, MessageBody="lost")
        self.assertEqual(code(e), "InternalFailure")
        self.assertEqual(status(e), 500)
        self.assertEqual(self.received(self.url), [])
        self.sqs.send_message(QueueUrl=self.url, MessageBody="kept")
        self.assertEqual([m["Body"] for m in self.received(self.url)], ["kept"])

    def test_quoted_url_leaves_longer_names_alone(self):
        inject("sqs", "SendMessage", self.match, "internal")
        self.sqs.send_message(QueueUrl=self.longer, MessageBody="publish")
        self.assertEqual(remaining(self.match), 1)

    def test_receive_and_any_operation(self):
        inject("sqs", "*", self.match, "internal", times=2)
        with self.assertRaises(ClientError):
            self.sqs.receive_message(QueueUrl=self.url)
        with self.assertRaises(ClientError):
            self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["All"])
        self.received(self.url)

    def test_timeout(self):
        inject("sqs", "SendMessage", self.match, "timeout", delay_secs=1.5)
        with self.assertRaises(ReadTimeoutError):
            client("sqs", read_timeout=0.3).send_message(QueueUrl=self.url, MessageBody="slow")
        time.sleep(1.5)
        self.assertEqual([m["Body"] for m in self.received(self.url)], ["slow"])


class S3(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s3 = client("s3")
        cls.bucket = Names.next("bucket")
        cls.other = Names.next("otherbucket")
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.s3.create_bucket(Bucket=cls.other)

    def tearDown(self):
        control("DELETE", {"match": self.bucket})

    def exists(self, key):
        try:
            self.s3.head_object(Bucket=self.bucket, Key=key)
            return True
        except ClientError as e:
            if e.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
                return False
            raise

    def test_slow_down_on_put(self):
        inject("s3", "PutObject", self.bucket, "slow_down")
        with self.assertRaises(ClientError) as e:
            self.s3.put_object(Bucket=self.bucket, Key="a.txt", Body=b"x" * 10000)
        self.assertEqual(code(e), "SlowDown")
        self.assertEqual(status(e), 503)
        self.assertFalse(self.exists("a.txt"))
        self.s3.put_object(Bucket=self.bucket, Key="a.txt", Body=b"x" * 10000)
        self.assertTrue(self.exists("a.txt"))

    def test_internal_on_get_and_delete(self):
        self.s3.put_object(Bucket=self.bucket, Key="b.txt", Body=b"b")
        inject("s3", "GetObject", self.bucket, "internal")
        inject("s3", "DeleteObject", self.bucket, "internal")
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket=self.bucket, Key="b.txt")
        self.assertEqual(code(e), "InternalError")
        self.assertEqual(status(e), 500)
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="b.txt")["Body"].read(), b"b")
        with self.assertRaises(ClientError) as e:
            self.s3.delete_object(Bucket=self.bucket, Key="b.txt")
        self.assertEqual(code(e), "InternalError")
        self.assertTrue(self.exists("b.txt"))

    def test_head_answers_with_the_status_alone(self):
        self.s3.put_object(Bucket=self.bucket, Key="c.txt", Body=b"c")
        inject("s3", "HeadObject", self.bucket, "slow_down")
        with self.assertRaises(ClientError) as e:
            self.s3.head_object(Bucket=self.bucket, Key="c.txt")
        self.assertEqual(status(e), 503)
        self.assertTrue(self.exists("c.txt"))

    def test_other_buckets_and_operations_are_untouched(self):
        inject("s3", "PutObject", self.bucket, "internal")
        self.s3.put_object(Bucket=self.other, Key="d.txt", Body=b"d")
        self.s3.list_objects_v2(Bucket=self.bucket)
        self.assertEqual(remaining(self.bucket), 1)

    def test_presigned_get(self):
        self.s3.put_object(Bucket=self.bucket, Key="e.txt", Body=b"e")
        for version in ("s3v4", "s3"):  # the Rust SDK presigns with SigV4, boto3 by default with SigV2
            presigner = boto3.client(
                "s3", endpoint_url=ENDPOINT, region_name="us-east-1", aws_access_key_id="local",
                aws_secret_access_key="local",
                config=Config(signature_version=version, s3={"addressing_style": "path"}),
            )
            url = presigner.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": "e.txt"})
            inject("s3", "GetObject", self.bucket, "slow_down")
            with self.assertRaises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(url)
            self.assertEqual(e.exception.code, 503, url)
            self.assertIn(b"<Code>SlowDown</Code>", e.exception.read())
            with urllib.request.urlopen(url) as response:
                self.assertEqual(response.read(), b"e")


class Concurrency(unittest.TestCase):
    def test_a_rule_fires_exactly_times_under_parallel_requests(self):
        db = client("dynamodb")
        table = Names.next("parallel")
        create_table(db, table)
        inject("dynamodb", "PutItem", table, "internal", times=5)
        failures = []

        def write(i):
            try:
                client("dynamodb").put_item(TableName=table, Item={"PK": {"S": f"p{i}"}})
            except ClientError as e:
                failures.append(e.response["Error"]["Code"])

        threads = [threading.Thread(target=write, args=(i,)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(failures, ["InternalServerError"] * 5)
        self.assertEqual(db.scan(TableName=table)["Count"], 15)


if __name__ == "__main__":
    unittest.main()
