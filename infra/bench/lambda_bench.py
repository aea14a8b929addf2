#!/usr/bin/env python3
"""Lambda start-up and warm-request figures for the release function binaries.

Plays the Lambda Runtime API on a local port and runs each function binary the way
Lambda does (AWS_LAMBDA_RUNTIME_API, handler env), then prints:

  * init: process start -> the binary's first `GET /runtime/invocation/next`,
    median and spread of RUNS starts per binary;
  * warm: the time from handing an API Gateway v2 event to the runtime to receiving its
    response, on one warm process: `GET /auth/me` (WARM_REQUESTS times), a 10 000-row
    CSV import, and a filtered, ordered page of a 10 000-keyword list. These include the
    store round trips to the local emulator, as a request in AWS would.

Usage (see infra/bench/run.sh, which builds and starts everything):
  lambda_bench.py <dir with <function>/bootstrap> <events dir>
Environment: AWS_ENDPOINT_URL, TABLE_NAME, JWT_SECRET, MEDIA_BUCKET, RUNS (20),
WARM_REQUESTS (200), INIT_ONLY (set: skip the warm requests).
"""

import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from load import on_plan  # moves an account to another plan, as support would

PREFIX = "/2018-06-01/runtime"


class RuntimeApi:
    """The part of the Lambda Runtime API a function uses: next, response, error."""

    def __init__(self):
        self.events = queue.Queue()
        self.first_next = None  # perf_counter_ns of the first `next`
        self.responses = {}  # request id -> (perf_counter_ns, body)
        self.handed_out = {}  # request id -> perf_counter_ns
        self.done = threading.Condition()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path != f"{PREFIX}/invocation/next":
                    self.send_error(404)
                    return
                if api.first_next is None:
                    api.first_next = time.perf_counter_ns()
                event = api.events.get()
                if event is None:  # shutting down: leave the runtime waiting
                    time.sleep(3600)
                    return
                request_id = str(uuid.uuid4())
                body = json.dumps(event).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
                self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:bench")
                self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
                self.end_headers()
                api.handed_out[request_id] = time.perf_counter_ns()
                self.wfile.write(body)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                now = time.perf_counter_ns()
                parts = self.path.split("/")
                if len(parts) >= 5 and parts[3] == "invocation":
                    with api.done:
                        api.responses[parts[4]] = (now, body, parts[5] if len(parts) > 5 else "")
                        api.done.notify_all()
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # runtimes killed mid-request are expected here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.address = f"127.0.0.1:{self.server.server_address[1]}"

    def invoke(self, event, timeout=600):
        """Hands one event to the runtime; (latency in ns, response body)."""
        before = set(self.responses)
        self.events.put(event)
        deadline = time.time() + timeout
        with self.done:
            while True:
                new = set(self.responses) - before
                if new:
                    request_id = new.pop()
                    finished, body, kind = self.responses[request_id]
                    if kind != "response":
                        raise RuntimeError(f"invocation failed: {body[:500]!r}")
                    return finished - self.handed_out[request_id], json.loads(body)
                if time.time() > deadline:
                    raise RuntimeError("no response from the function")
                self.done.wait(timeout=1)

    def close(self):
        self.events.put(None)
        self.server.shutdown()


def function_env(api):
    env = dict(os.environ)
    env.update(
        AWS_LAMBDA_RUNTIME_API=api.address,
        AWS_LAMBDA_FUNCTION_NAME="bench",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128",
        AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
        AWS_LAMBDA_LOG_STREAM_NAME="bench",
        AWS_LAMBDA_LOG_GROUP_NAME="bench",
        RUST_LOG="warn",
    )
    return env


def start(binary, api):
    return subprocess.Popen([binary], env=function_env(api), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def measure_init(binary, runs):
    samples = []
    for _ in range(runs):
        api = RuntimeApi()
        started = time.perf_counter_ns()
        process = start(binary, api)
        deadline = time.time() + 10
        while api.first_next is None and time.time() < deadline and process.poll() is None:
            time.sleep(0.0005)
        if api.first_next is None:
            process.kill()
            raise RuntimeError(f"{binary} never asked for an event (exit {process.poll()})")
        samples.append((api.first_next - started) / 1e6)
        process.kill()
        process.wait()
        api.close()
    return samples


def load_event(events_dir, name, token=None):
    with open(os.path.join(events_dir, name)) as f:
        text = f.read()
    if token:
        text = text.replace("{{ACCESS_TOKEN}}", token)
    return json.loads(text)


def api_event(events_dir, method, path, token=None, query="", body=None, content_type="application/json"):
    """An API Gateway v2 event for any route, shaped like the samples in events/."""
    event = load_event(events_dir, "auth-me.json", token or "")
    if not token:
        event["headers"].pop("authorization", None)
    event["rawPath"] = path
    event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event["rawQueryString"] = query
    event["queryStringParameters"] = dict(kv.split("=", 1) for kv in query.split("&") if kv)
    event["headers"]["x-request-id"] = f"bench-{uuid.uuid4().hex[:8]}"
    if body is not None:
        event["headers"]["content-type"] = content_type
        event["body"] = body if isinstance(body, str) else json.dumps(body)
        event["isBase64Encoded"] = False
    return event


def call(api, event, expected):
    latency, response = api.invoke(event)
    if response.get("statusCode") != expected:
        raise RuntimeError(f"{event['requestContext']['http']['method']} {event['rawPath']}: {response}")
    return latency / 1e6, json.loads(response["body"])


class Function:
    """One warm function process behind its own Runtime API."""

    def __init__(self, binary):
        self.api = RuntimeApi()
        self.process = start(binary, self.api)

    def peak_rss_mb(self):
        """The process's peak resident memory so far (VmHWM), in MB."""
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def close(self):
        self.process.kill()
        self.process.wait()
        self.api.close()


def measure_warm(binaries_dir, events_dir, requests):
    """Warm figures: GET /auth/me, and a filtered, ordered keyword list over 10 000 keywords."""
    auth = Function(os.path.join(binaries_dir, "auth", "bootstrap"))
    figures = {}
    try:
        register = load_event(events_dir, "auth-register.json")
        body = json.loads(register["body"])
        body["email"] = f"bench-{uuid.uuid4().hex[:12]}@example.com"
        register["body"] = json.dumps(body)
        _, registered = call(auth.api, register, 201)
        token = registered["data"]["access"]
        # The trial plan holds 1 000 keywords; the import below needs 10 000.
        on_plan(registered["data"]["account"]["id"], "scale")
        _, site = call(auth.api, api_event(events_dir, "POST", "/api/v1/auth/sites/", token, body={"name": "Bench"}), 201)
        site_id = site["data"]["id"]
        sector_body = {"site_id": site_id, "name": "Shoes"}
        _, sector = call(auth.api, api_event(events_dir, "POST", "/api/v1/auth/sectors/", token, body=sector_body), 201)
        sector_id = sector["data"]["id"]
        me = load_event(events_dir, "auth-me.json", token)
        for _ in range(10):
            call(auth.api, me, 200)
        figures["auth: GET /auth/me (one BatchGetItem)"] = [call(auth.api, me, 200)[0] for _ in range(requests)]
        PEAK_RSS["auth after the /auth/me runs"] = auth.peak_rss_mb()
    finally:
        auth.close()

    planner_binary = os.path.join(binaries_dir, "planner", "bootstrap")
    if not os.path.exists(planner_binary):
        return figures
    # A queue of its own for the clustering job below (the worker is handed the message).
    import boto3  # installed with the emulator
    sqs = boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=os.environ.get("AWS_REGION", "us-east-1"))
    os.environ["AI_QUEUE_URL"] = sqs.create_queue(QueueName=f"bench-ai-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    planner = Function(planner_binary)
    try:
        intents = ["informational", "commercial", "transactional", "navigational"]
        rows = ["keyword,volume,difficulty,intent"] + [
            f"best running shoes {i} {['trail', 'road', 'track'][i % 3]},{(i * 7919) % 50000},{i % 101},{intents[i % 4]}"
            for i in range(10_000)
        ]
        query = f"site_id={site_id}&sector_id={sector_id}"
        import_event = api_event(events_dir, "POST", "/api/v1/planner/keywords/import_csv/", token, query, "\n".join(rows), "text/csv")
        took, imported = call(planner.api, import_event, 201)
        assert imported["data"]["created"] == 10_000, str(imported["data"])[:500]
        figures["planner: import_csv of 10 000 rows (once)"] = [took]
        PEAK_RSS["planner after a 10 000-row import"] = planner.peak_rss_mb()
        list_query = f"site_id={site_id}&search=trail&intent=commercial&volume_min=100&ordering=-volume&page=2&page_size=25"
        listing = api_event(events_dir, "GET", "/api/v1/planner/keywords/", token, list_query)
        call(planner.api, listing, 200)
        runs = max(5, requests // 20)
        figures["planner: GET keywords, 10 000 filtered + ordered, page 2"] = [call(planner.api, listing, 200)[0] for _ in range(runs)]
        PEAK_RSS["planner after 10 000-keyword list pages too"] = planner.peak_rss_mb()
        ids = all_keyword_ids(planner.api, events_dir, token, query)
        cluster = api_event(events_dir, "POST", "/api/v1/planner/keywords/auto_cluster/", token,
                            body={"ids": ids, "method": "builtin"})
        _, job = call(planner.api, cluster, 202)
    finally:
        planner.close()
    worker_binary = os.path.join(binaries_dir, "ai-worker", "bootstrap")
    if os.path.exists(worker_binary):
        worker = Function(worker_binary)
        try:
            event = json.loads(json.dumps(load_event(events_dir, "ai-worker-job.json"))
                               .replace("{{ACCOUNT_ID}}", registered["data"]["account"]["id"])
                               .replace("{{JOB_ID}}", job["data"]["id"]))
            took, answer = worker.api.invoke(event)
            assert not answer.get("batchItemFailures"), str(answer)[:500]
            figures[f"ai-worker: a built-in clustering job of {len(ids)} keywords (once)"] = [took / 1e6]
            PEAK_RSS[f"ai-worker after clustering {len(ids)} keywords"] = worker.peak_rss_mb()
        finally:
            worker.close()
    return figures


def all_keyword_ids(api, events_dir, token, query):
    """Every keyword id of the scope, following the list's `next` links (200 a page)."""
    ids, path, page_query = [], "/api/v1/planner/keywords/", f"{query}&page_size=200"
    while True:
        _, page = call(api, api_event(events_dir, "GET", path, token, page_query), 200)
        ids += [k["id"] for k in page["results"]]
        if not page["next"]:
            return ids
        path, _, page_query = page["next"].partition("?")


# Peak resident memory of the warm processes after their heaviest requests, in MB.
PEAK_RSS = {}


def zipped_mb(binary):
    """Size of the deployment zip (what Lambda's 50 MB limit and cold pulls see)."""
    path = binary + ".zip.tmp"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.write(binary, "bootstrap")
    size = os.path.getsize(path) / 1e6
    os.remove(path)
    return size


def describe(samples):
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return f"median {statistics.median(ordered):7.2f} ms   min {ordered[0]:7.2f}   p99 {p99:7.2f}   (n={len(ordered)})"


def main():
    binaries_dir, events_dir = sys.argv[1], sys.argv[2]
    runs = int(os.environ.get("RUNS", "20"))
    warm_requests = int(os.environ.get("WARM_REQUESTS", "200"))
    functions = sorted(d for d in os.listdir(binaries_dir) if os.path.isfile(os.path.join(binaries_dir, d, "bootstrap")))
    print(f"Function init (process start -> first Runtime API `next`), {runs} runs each:")
    for name in functions:
        binary = os.path.join(binaries_dir, name, "bootstrap")
        print(f"  {name:<10} {describe(measure_init(binary, runs))}   zip {zipped_mb(binary):.1f} MB")
    if "auth" in functions and not os.environ.get("INIT_ONLY"):
        print("Warm requests (event in -> response out, including store calls to the emulator;")
        print("moto answers far slower than DynamoDB, so these are upper bounds):")
        for name, samples in measure_warm(binaries_dir, events_dir, warm_requests).items():
            print(f"  {name:<58} {describe(samples)}")
        print("Peak resident memory (VmHWM) of the warm processes:")
        for name, mb in PEAK_RSS.items():
            print(f"  {name:<58} {mb:7.1f} MB")


if __name__ == "__main__":
    main()
