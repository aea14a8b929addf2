#!/usr/bin/env python3
"""Self-test of indexes.py: starts serve.py on a free port and checks, with boto3, that
a Query on an index sees every kind of write made since the last one (put, update,
delete, batch, transaction) and answers pages in order with `LastEvaluatedKey`.

Usage: python3 infra/emulator/test_indexes.py [-v]
"""

import os
import sys
import unittest

import boto3

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_faults  # noqa: E402  (its module set-up starts the emulator)

TABLE = "index-cache-test"


def setUpModule():
    test_faults.setUpModule()
    dynamodb().create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK", "IPK", "ISK")],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{
            "IndexName": "ByI",
            "KeySchema": [{"AttributeName": "IPK", "KeyType": "HASH"}, {"AttributeName": "ISK", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
    )


def tearDownModule():
    test_faults.tearDownModule()


def dynamodb():
    return boto3.client("dynamodb", endpoint_url=test_faults.ENDPOINT, region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local")


def item(n, partition="P"):
    return {"PK": {"S": f"item{n}"}, "SK": {"S": "x"}, "IPK": {"S": partition}, "ISK": {"S": f"{n:03d}"}}


def listed(partition="P", **options):
    reply = dynamodb().query(TableName=TABLE, IndexName="ByI", KeyConditionExpression="IPK = :p",
                             ExpressionAttributeValues={":p": {"S": partition}}, **options)
    return [i["ISK"]["S"] for i in reply["Items"]], reply.get("LastEvaluatedKey")


class IndexCache(unittest.TestCase):
    def test_every_kind_of_write_is_seen_by_the_next_query(self):
        db = dynamodb()
        for n in (1, 2, 3):
            db.put_item(TableName=TABLE, Item=item(n))
        self.assertEqual(listed()[0], ["001", "002", "003"])
        listed()  # answered from what the first query kept
        db.update_item(TableName=TABLE, Key={"PK": {"S": "item2"}, "SK": {"S": "x"}},
                       UpdateExpression="SET IPK = :q", ExpressionAttributeValues={":q": {"S": "Q"}})
        self.assertEqual(listed()[0], ["001", "003"])
        self.assertEqual(listed("Q")[0], ["002"])
        db.delete_item(TableName=TABLE, Key={"PK": {"S": "item1"}, "SK": {"S": "x"}})
        self.assertEqual(listed()[0], ["003"])
        db.batch_write_item(RequestItems={TABLE: [{"PutRequest": {"Item": item(n)}} for n in (4, 5)]})
        self.assertEqual(listed()[0], ["003", "004", "005"])
        db.transact_write_items(TransactItems=[{"Put": {"TableName": TABLE, "Item": item(6)}}])
        self.assertEqual(listed()[0], ["003", "004", "005", "006"])

    def test_pages_come_in_order_with_where_to_go_on(self):
        db = dynamodb()
        for n in range(10, 20):
            db.put_item(TableName=TABLE, Item=item(n, "R"))
        first, more = listed("R", Limit=4, ScanIndexForward=False)
        self.assertEqual(first, ["019", "018", "017", "016"])
        self.assertIsNotNone(more)
        rest, end = listed("R", ExclusiveStartKey=more, ScanIndexForward=False)
        self.assertEqual(rest, [f"{n:03d}" for n in range(15, 9, -1)])
        self.assertIsNone(end)
        first, more = listed("R", Limit=3)
        self.assertEqual(first, ["010", "011", "012"])
        second, more = listed("R", Limit=3, ExclusiveStartKey=more)
        self.assertEqual(second, ["013", "014", "015"])
        # From a key that is gone (its item deleted meanwhile), moto's own walk decides.
        dynamodb().delete_item(TableName=TABLE, Key={"PK": {"S": "item15"}, "SK": {"S": "x"}})
        rest, _ = listed("R", ExclusiveStartKey=more)
        self.assertEqual(rest, ["016", "017", "018", "019"])


if __name__ == "__main__":
    unittest.main()
