#!/usr/bin/env python3
"""Runs moto's AWS emulator (DynamoDB, SQS, S3) for the local stack and the tests.

Why not plain `moto_server`: it serves requests on many threads without a lock, and its
TransactWriteItems snapshots and restores whole tables, so two concurrent conditional
transactions can both pass or undo each other. Real DynamoDB never does that, and our
tests check exactly such races (two registrations of one email). Serialising requests
behind one lock gives the emulator DynamoDB's per-request atomicity; moto holds the GIL
for nearly all of its work anyway, so little throughput is lost.

moto's TransactWriteItems also deep-copies every table it touches as its rollback point,
which makes a 100-action transaction on a 20 000-item table take a second; see
transactions.py for the equivalent that copies only the items a transaction touches.
Its index queries walk the whole table on every call; indexes.py keeps each index's
partitions between writes.

In front of the lock, faults.py lets tests make DynamoDB, SQS and S3 fail as AWS does
(`POST /_faults`); its checks and held requests never take the lock.

Usage: serve.py [--host 127.0.0.1] [--port 0] [--port-file PATH]
With --port 0 a free port is chosen; it is written to --port-file once listening.
"""

import argparse
import os
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

from faults import Faults
from indexes import install_index_cache
from transactions import install_fast_transactions


class Serialised:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            # Materialise the body inside the lock: moto may build it lazily.
            return list(self.app(environ, start_response))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    args = parser.parse_args()

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    install_fast_transactions()
    install_index_cache()
    app = Faults(Serialised(DomainDispatcherApplication(create_backend_app)))
    server = make_server(args.host, args.port, app, threaded=True)
    port = server.socket.getsockname()[1]
    os.environ["MOTO_PORT"] = str(port)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(port))
        os.replace(tmp, args.port_file)
    print(f"emulator listening on http://{args.host}:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
