"""Fault injection: makes DynamoDB, SQS and S3 fail the way AWS does on a bad day.

A WSGI layer in front of the (serialised) moto app. Tests add rules over HTTP:

    POST   /_faults   {"service": "dynamodb", "operation": "TransactWriteItems",
                       "match": "<substring>", "fault": "transaction_conflict", "times": 1}
    DELETE /_faults?match=<substring>     removes the rules added with exactly that match
    DELETE /_faults                       removes every rule
    GET    /_faults[?match=<substring>]   lists rules and how many uses each has left

A request matches a rule when its service and operation are the rule's ("*" for any
operation) and `match` occurs in its path (decoded or raw, query included) or body.
Tests use their own table, queue URL or bucket name as `match`, so parallel tests on one
emulator do not affect each other. A rule answers the next `times` matching requests
(retries by the SDK included) and is then used up.

Operations: DynamoDB and SQS (JSON protocol, as aws-sdk-*-1.x and current boto3 send)
from the X-Amz-Target header (`DynamoDB_20120810.PutItem`, `AmazonSQS.SendMessage`); S3
from the `x-id` query parameter when the SDK sends one, else from method and path
(path-style addresses: PutObject, GetObject, HeadObject, DeleteObject, CopyObject, ...).

Faults, each answered with the status, headers and error body the real service sends, so
SDKs parse them into the same errors:

    dynamodb  transaction_conflict  400 TransactionCanceledException, one TransactionConflict
                                    reason per action (TransactWriteItems, TransactGetItems)
              throughput_exceeded   400 ProvisionedThroughputExceededException
              throttling            400 ThrottlingException
              internal              500 InternalServerError
    sqs       internal              500 InternalFailure
    s3        slow_down             503 SlowDown
              internal              500 InternalError
    any       timeout               holds the request `delay_secs` (default 5) seconds, then
                                    lets it through: the client should give up first, and
                                    the write still lands, as it may on AWS

A faulted request (other than `timeout`) never reaches moto. Neither the control endpoint
nor the fault check takes serve.py's serialising lock: rules have their own, held only
to look up and count; a held `timeout` request sleeps before it queues for moto.
"""

import base64
import io
import json
import os
import threading
import time
import urllib.parse
import uuid
import zlib

from werkzeug.wsgi import get_input_stream

CONTROL_PATH = "/_faults"
ACCOUNT = "123456789012"  # moto's default account

FAULTS = {
    "dynamodb": {"transaction_conflict", "throughput_exceeded", "throttling", "internal", "timeout"},
    "sqs": {"internal", "timeout"},
    "s3": {"slow_down", "internal", "timeout"},
}
TRANSACTION_OPERATIONS = {"TransactWriteItems", "TransactGetItems"}
DYNAMODB_READS = {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"}

# Query parameters that do not change which S3 operation a request is.
S3_PLAIN_PARAMETERS = {
    "x-id", "versionId", "partNumber", "list-type", "prefix", "delimiter", "max-keys",
    "continuation-token", "start-after", "encoding-type", "fetch-owner", "marker",
    "AWSAccessKeyId", "Signature", "Expires",  # a presigned URL's (SigV2; SigV4's are X-Amz-*)
}


class Rule:
    def __init__(self, rule_id, service, operation, match, fault, times, delay_secs):
        self.id = rule_id
        self.service = service
        self.operation = operation
        self.match = match
        self.fault = fault
        self.remaining = times
        self.delay_secs = delay_secs

    def applies_to(self, service, operation):
        return self.service == service and self.operation in ("*", operation)

    def to_json(self):
        rule = {
            "id": self.id,
            "service": self.service,
            "operation": self.operation,
            "match": self.match,
            "fault": self.fault,
            "remaining": self.remaining,
        }
        if self.fault == "timeout":
            rule["delay_secs"] = self.delay_secs
        return rule


class InvalidRule(Exception):
    pass


def parse_rule(rule_id, spec):
    if not isinstance(spec, dict):
        raise InvalidRule("the body must be a JSON object")
    service = spec.get("service")
    if service not in FAULTS:
        raise InvalidRule(f"service must be one of {sorted(FAULTS)}")
    fault = spec.get("fault")
    if fault not in FAULTS[service]:
        raise InvalidRule(f"fault for {service} must be one of {sorted(FAULTS[service])}")
    operation = spec.get("operation")
    if not isinstance(operation, str) or not operation:
        raise InvalidRule('operation must be an operation name, or "*" for any')
    if fault == "transaction_conflict" and operation not in TRANSACTION_OPERATIONS:
        raise InvalidRule(f"transaction_conflict applies to {sorted(TRANSACTION_OPERATIONS)} only")
    match = spec.get("match")
    if not isinstance(match, str) or not match:
        raise InvalidRule("match must be a non-empty string (a table, queue or bucket name)")
    times = spec.get("times", 1)
    if not isinstance(times, int) or isinstance(times, bool) or times < 1:
        raise InvalidRule("times must be a positive integer")
    delay_secs = spec.get("delay_secs", 5)
    if not isinstance(delay_secs, (int, float)) or isinstance(delay_secs, bool) or delay_secs < 0:
        raise InvalidRule("delay_secs must be a non-negative number")
    return Rule(rule_id, service, operation, match, fault, times, float(delay_secs))


# -- Which request is this? -------------------------------------------------------------


def credential_scope_service(environ):
    """The service a SigV4 request is signed for (header or presigned query)."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    credential = None
    if "Credential=" in auth:
        credential = auth.split("Credential=", 1)[1].split(",", 1)[0].strip()
    else:
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        credential = (query.get("X-Amz-Credential") or [None])[0]
    if not credential:
        return None
    parts = credential.split("/")
    return parts[3].lower() if len(parts) == 5 else None


def s3_operation(environ):
    """The S3 operation of a path-style request, or None when it is none we name."""
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if query.get("x-id"):
        return query["x-id"][0]
    method = environ.get("REQUEST_METHOD", "GET")
    bucket, _, key = environ.get("PATH_INFO", "/").lstrip("/").partition("/")
    other = {
        name for name in query
        if name not in S3_PLAIN_PARAMETERS and not name.lower().startswith(("x-amz-", "response-"))
    }
    if not bucket:
        return "ListBuckets" if method == "GET" and not other else None
    if key:
        if "uploadId" in other:
            copy = "HTTP_X_AMZ_COPY_SOURCE" in environ
            return {
                "PUT": "UploadPartCopy" if copy else "UploadPart",
                "POST": "CompleteMultipartUpload",
                "DELETE": "AbortMultipartUpload",
                "GET": "ListParts",
            }.get(method)
        if other == {"uploads"} and method == "POST":
            return "CreateMultipartUpload"
        if other:
            return None  # an object subresource: ?tagging, ?acl, ...
        if method == "PUT":
            return "CopyObject" if "HTTP_X_AMZ_COPY_SOURCE" in environ else "PutObject"
        return {"GET": "GetObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}.get(method)
    if other == {"delete"} and method == "POST":
        return "DeleteObjects"
    if other:
        return None  # a bucket subresource: ?policy, ?versioning, ...
    if method == "GET":
        return "ListObjectsV2" if query.get("list-type") == ["2"] else "ListObjects"
    return {"PUT": "CreateBucket", "DELETE": "DeleteBucket", "HEAD": "HeadBucket"}.get(method)


def identify(environ):
    """(service, operation) of a request; (None, None) for services without faults."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if "." in target:
        prefix, operation = target.split(".", 1)
        if prefix.startswith("DynamoDB_"):
            return "dynamodb", operation
        if prefix == "AmazonSQS":
            return "sqs", operation
        return None, None
    scope = credential_scope_service(environ)
    if scope == "s3" or (scope is None and signed_v2(environ)):
        return "s3", s3_operation(environ)
    return None, None


def signed_v2(environ):
    """Signature version 2, which only S3 still takes (boto3 presigns S3 URLs with it)."""
    if environ.get("HTTP_AUTHORIZATION", "").startswith("AWS "):
        return True
    return "AWSAccessKeyId" in urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))


def read_body(environ):
    """The request body, read once; moto then reads the same bytes from a buffer."""
    if "faults.body" not in environ:
        body = get_input_stream(environ).read()
        environ["wsgi.input"] = io.BytesIO(body)
        environ["faults.body"] = body
    return environ["faults.body"]


def request_path(environ):
    """The path and query as bytes: decoded (WSGI's latin-1 str) and as sent."""
    path = environ.get("PATH_INFO", "").encode("latin-1", "replace")
    query = environ.get("QUERY_STRING", "").encode("latin-1", "replace")
    raw = environ.get("REQUEST_URI", environ.get("RAW_URI", "")).encode("latin-1", "replace")
    return b"\n".join((path + b"?" + query, raw))


# -- What AWS answers ------------------------------------------------------------------


def dynamodb_request_id():
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(alphabet[b % len(alphabet)] for b in os.urandom(52))


def json_body(body):
    try:
        value = json.loads(body or b"{}")
        return value if isinstance(value, dict) else {}
    except ValueError:
        return {}


def dynamodb_table(request):
    """The first table a DynamoDB request names."""
    if isinstance(request.get("TableName"), str):
        return request["TableName"]
    for name in request.get("RequestItems") or {}:
        return name
    for item in request.get("TransactItems") or []:
        for action in item.values() if isinstance(item, dict) else []:
            if isinstance(action, dict) and isinstance(action.get("TableName"), str):
                return action["TableName"]
    return "unknown"


def region_of(environ):
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if "Credential=" in auth:
        parts = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        if len(parts) == 5:
            return parts[2]
    return os.environ.get("AWS_DEFAULT_REGION", "us-east-1")


def dynamodb_error(status, error_type, fields):
    body = json.dumps(
        {"__type": f"com.amazonaws.dynamodb.v20120810#{error_type}", **fields}, separators=(",", ":")
    ).encode()
    headers = [
        ("Content-Type", "application/x-amz-json-1.0"),
        ("x-amzn-RequestId", dynamodb_request_id()),
        ("x-amz-crc32", str(zlib.crc32(body) & 0xFFFFFFFF)),
    ]
    return status, headers, body


def dynamodb_fault(fault, operation, environ):
    request = json_body(read_body(environ))
    if fault == "transaction_conflict":
        actions = max(1, len(request.get("TransactItems") or []))
        reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}] * actions
        listed = ", ".join(["TransactionConflict"] * actions)
        return dynamodb_error(400, "TransactionCanceledException", {
            "CancellationReasons": reasons,
            "Message": f"Transaction cancelled, please refer cancellation reasons for specific reasons [{listed}]",
        })
    if fault == "internal":
        return dynamodb_error(500, "InternalServerError", {"message": "Internal server error"})
    table_arn = f"arn:aws:dynamodb:{region_of(environ)}:{ACCOUNT}:table/{dynamodb_table(request)}"
    kind = "Read" if operation in DYNAMODB_READS else "Write"
    if fault == "throughput_exceeded":
        # What an on-demand table (ours are) answers when a key range is hot.
        return dynamodb_error(400, "ProvisionedThroughputExceededException", {
            "message": "Throughput exceeds the current capacity of your table or index. DynamoDB is "
            "automatically scaling your table or index so please try again shortly. If exceptions "
            "persist, check if you have a hot key: "
            "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html",
            "ThrottlingReasons": [{"reason": f"Table{kind}KeyRangeThroughputExceeded", "resource": table_arn}],
        })
    if fault == "throttling":
        return dynamodb_error(400, "ThrottlingException", {
            "message": "Rate of requests exceeds the allowed throughput.",
            "throttlingReasons": [{"reason": f"Table{kind}MaxOnDemandThroughputExceeded", "resource": table_arn}],
        })
    raise AssertionError(fault)


def sqs_fault(fault):
    assert fault == "internal", fault
    body = json.dumps({
        "__type": "com.amazon.coral.service#InternalFailure",
        "message": "The request processing has failed because of an unknown error, exception or failure.",
    }, separators=(",", ":")).encode()
    headers = [
        ("Content-Type", "application/x-amz-json-1.0"),
        ("x-amzn-RequestId", str(uuid.uuid4())),
        # SQS is query-compatible: SDKs take the error code from this header.
        ("x-amzn-query-error", "InternalFailure;Receiver"),
    ]
    return 500, headers, body


def s3_fault(fault, environ):
    status, code, message = {
        "slow_down": (503, "SlowDown", "Please reduce your request rate."),
        "internal": (500, "InternalError", "We encountered an internal error. Please try again."),
    }[fault]
    request_id = os.urandom(8).hex().upper()
    host_id = base64.b64encode(os.urandom(48)).decode()
    headers = [
        ("Content-Type", "application/xml"),
        ("x-amz-request-id", request_id),
        ("x-amz-id-2", host_id),
        ("Server", "AmazonS3"),
    ]
    if environ.get("REQUEST_METHOD") == "HEAD":
        return status, headers, b""  # S3 answers HEAD errors with the status alone
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>{request_id}</RequestId><HostId>{host_id}</HostId></Error>"
    ).encode()
    return status, headers, body


REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
           500: "Internal Server Error", 503: "Service Unavailable"}


def respond(start_response, status, headers, body):
    headers = headers + [("Content-Length", str(len(body)))]
    start_response(f"{status} {REASONS[status]}", headers)
    return [body]


# -- The layer -------------------------------------------------------------------------


class Faults:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()  # guards rules and next_id only
        self.rules = []
        self.next_id = 1

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").rstrip("/") == CONTROL_PATH:
            return self.control(environ, start_response)
        if self.rules:
            rule = self.take(environ)
            if rule is not None:
                if rule.fault == "timeout":
                    time.sleep(rule.delay_secs)
                else:
                    return self.answer(rule, environ, start_response)
        return self.app(environ, start_response)

    def take(self, environ):
        """Uses up one firing of the first rule that matches this request, if any."""
        service, operation = identify(environ)
        if service is None:
            return None
        with self.lock:
            candidates = [rule for rule in self.rules if rule.applies_to(service, operation)]
        if not candidates:
            return None
        path = request_path(environ)
        body = None
        matching = set()
        for rule in candidates:
            needle = rule.match.encode("utf-8")
            if needle not in path:
                if body is None:
                    body = read_body(environ)
                if needle not in body:
                    continue
            matching.add(rule.id)
        if not matching:
            return None
        with self.lock:
            for rule in self.rules:
                if rule.id in matching and rule.remaining > 0:
                    rule.remaining -= 1
                    if rule.remaining == 0:
                        self.rules.remove(rule)
                    return rule
        return None  # used up by a concurrent request meanwhile

    def answer(self, rule, environ, start_response):
        read_body(environ)  # drain it: the connection may carry the next request
        if rule.service == "dynamodb":
            status, headers, body = dynamodb_fault(rule.fault, identify(environ)[1], environ)
        elif rule.service == "sqs":
            status, headers, body = sqs_fault(rule.fault)
        else:
            status, headers, body = s3_fault(rule.fault, environ)
        return respond(start_response, status, headers, body)

    def control(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        match = (query.get("match") or [None])[0]
        if method == "POST":
            try:
                spec = json.loads(read_body(environ) or b"null")
            except ValueError:
                spec = None
            with self.lock:
                rule_id = self.next_id
                self.next_id += 1
            try:
                rule = parse_rule(rule_id, spec)
            except InvalidRule as e:
                return self.reply(start_response, 400, {"error": str(e)})
            with self.lock:
                self.rules.append(rule)
            return self.reply(start_response, 200, {"rule": rule.to_json()})
        if method == "DELETE":
            with self.lock:
                removed = [rule for rule in self.rules if match is None or rule.match == match]
                self.rules = [rule for rule in self.rules if rule not in removed]
            return self.reply(start_response, 200, {"removed": [rule.to_json() for rule in removed]})
        if method == "GET":
            with self.lock:
                rules = [rule.to_json() for rule in self.rules if match is None or rule.match == match]
            return self.reply(start_response, 200, {"rules": rules})
        return self.reply(start_response, 405, {"error": "use POST, GET or DELETE"})

    @staticmethod
    def reply(start_response, status, value):
        body = json.dumps(value).encode()
        return respond(start_response, status, [("Content-Type", "application/json")], body)
