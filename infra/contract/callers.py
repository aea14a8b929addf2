"""Makes the fuzzer's callers on a fresh stack: registers an owner, adds a site with a
sector, issues the site's API key, and prints {"token", "api_key"} as JSON."""

import json
import sys
import time
import urllib.request

base = sys.argv[1]


def call(method, path, body=None, token=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body or {}).encode())
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["data"]


for _ in range(300):
    try:
        urllib.request.urlopen(base + "/api/v1/system/status", timeout=1)
        break
    except OSError:
        time.sleep(0.2)

email = f"fuzz-{int(time.time() * 1000)}@example.com"
session = call("POST", "/api/v1/auth/register", {"email": email, "password": "fuzz-password-1234", "account_name": "Fuzz"})
token = session["access"]
site = call("POST", "/api/v1/auth/sites", {"name": "Fuzz site", "domain": "https://fuzz.example.com"}, token)
call("POST", "/api/v1/auth/sectors", {"site_id": site["id"], "name": "Fuzz sector"}, token)
key = call("POST", f"/api/v1/auth/sites/{site['id']}/api-key", {}, token)
print(json.dumps({"token": token, "api_key": key["api_key"]}))
