#!/usr/bin/env python3
"""Runs the whole content pipeline against a running local stack (infra/run-local.sh),
with the offline provider: register, import keywords.csv, cluster, generate ideas,
queue tasks, write articles, make image prompts and images, then show the credits spent.

    python3 infra/demo/pipeline.py [BASE_URL]     # default http://127.0.0.1:8000/api/v1

Only the Python standard library is used. Generated images are saved under
target/demo/ (their bytes come from the local bucket through signed URLs).
"""

import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid

BASE = (sys.argv[1] if len(sys.argv) > 1 else os.environ.get("IGNY8_API", "http://127.0.0.1:8000/api/v1")).rstrip("/")
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "target", "demo")


def call(method, path, token=None, body=None, raw=None, content_type="application/json"):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        request.add_header("content-type", content_type)
    if token:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def expect(status, reply, wanted):
    if status != wanted:
        sys.exit(f"expected {wanted}, got {status}: {json.dumps(reply)}")
    return reply


def run_job(token, path, body, label):
    job = expect(*call("POST", path, token, body), 202)["data"]
    for _ in range(600):
        view = expect(*call("GET", f"/system/jobs/{job['id']}/", token), 200)["data"]
        if view["state"] in ("done", "failed"):
            progress = view["progress"]
            print(f"  {label:<22} {view['state'].upper():<6} {progress['done']}/{progress['total']} items, "
                  f"{view['credits']} credits, {view['tokens']['input']}+{view['tokens']['output']} tokens")
            if view["state"] == "failed":
                sys.exit(f"job failed: {view['reason']}")
            return view
        time.sleep(0.2)
    sys.exit(f"job {job['id']} did not finish")


def ids(reply):
    return [item["id"] for item in reply["results"]]


def main():
    status, health = call("GET", "/system/status/")
    if status != 200:
        sys.exit(f"no local stack at {BASE}: start it with infra/run-local.sh")
    email = f"demo-{uuid.uuid4().hex[:8]}@example.com"
    account = expect(*call("POST", "/auth/register/", body={
        "email": email, "password": "a long demo password", "account_name": "Pipeline demo"}), 201)["data"]
    token = account["access"]
    site = expect(*call("POST", "/auth/sites/", token, {"name": "Demo site", "domain": "demo.example.com"}), 201)["data"]
    sector = expect(*call("POST", "/auth/sectors/", token, {"site_id": site["id"], "name": "Everything"}), 201)["data"]
    scope = f"site_id={site['id']}&sector_id={sector['id']}"
    print(f"Account {email}: site {site['id']}, sector {sector['id']}")

    with open(os.path.join(HERE, "keywords.csv"), "rb") as csv_file:
        imported = expect(*call("POST", f"/planner/keywords/import_csv/?{scope}", token, raw=csv_file.read(),
                                content_type="text/csv"), 201)["data"]
    print(f"  imported               {imported['created']} keywords")
    keywords = expect(*call("GET", f"/planner/keywords/?{scope}&page_size=200", token), 200)

    run_job(token, "/planner/keywords/auto_cluster/", {"ids": ids(keywords)}, "auto_cluster")
    clusters = expect(*call("GET", f"/planner/clusters/?{scope}", token), 200)
    for cluster in clusters["results"]:
        print(f"    cluster {cluster['name']!r}: {cluster['keywords_count']} keywords, volume {cluster['volume']}")

    run_job(token, "/planner/clusters/generate_ideas/", {"ids": ids(clusters), "ideas_per_cluster": 2}, "generate_ideas")
    ideas = expect(*call("GET", f"/planner/ideas/?{scope}", token), 200)
    chosen = ids(ideas)[:3]
    tasks = expect(*call("POST", "/planner/ideas/queue_to_writer/", token, {"ids": chosen}), 201)["data"]["tasks"]
    print(f"  queued to writer       {len(tasks)} tasks")

    run_job(token, "/writer/tasks/generate_content/", {"ids": [t["id"] for t in tasks]}, "generate_content")
    content = expect(*call("GET", f"/writer/content/?{scope}", token), 200)
    for article in content["results"]:
        print(f"    article {article['title']!r}: {article['word_count']} words, /{article['slug']}")

    run_job(token, "/writer/content/generate_image_prompts/", {"ids": ids(content)}, "generate_image_prompts")
    images = expect(*call("GET", f"/writer/images/?{scope}&page_size=200", token), 200)
    run_job(token, "/writer/images/generate_images/", {"ids": ids(images)}, "generate_images")

    os.makedirs(OUT, exist_ok=True)
    images = expect(*call("GET", f"/writer/images/?{scope}&page_size=200", token), 200)
    for image in images["results"]:
        with urllib.request.urlopen(image["image_url"], timeout=30) as response:
            path = os.path.join(OUT, f"{image['id']}.png")
            with open(path, "wb") as out:
                out.write(response.read())
    print(f"  saved {len(images['results'])} images from the bucket to {os.path.normpath(OUT)}/")

    balance = expect(*call("GET", "/billing/balance/", token), 200)["data"]
    summary = expect(*call("GET", "/billing/usage/summary/", token), 200)["data"]
    print(f"Credits left: {balance['credits']}")
    for row in summary["by_operation"]:
        print(f"  {row['operation']:<24} {row['credits']:>4} credits in {row['count']} charges")


if __name__ == "__main__":
    main()
