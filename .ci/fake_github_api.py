#!/usr/bin/env python3
"""A stand-in for GitHub's REST API on 127.0.0.1, for the action's offline tests: the pull request
endpoints the action calls, with state, and a JSON line per request in LOG. Bounded: it serves for
at most --timeout seconds. Usage: fake_github_api.py PORT_FILE LOG [--timeout S]"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

port_file, log_file = sys.argv[1], sys.argv[2]
timeout = float(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--timeout" else 900.0
pulls = {}  # (owner/name, number) -> pull
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, obj):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        auth = self.headers.get("Authorization", "")
        with lock:
            with open(log_file, "a") as f:
                f.write(json.dumps({"method": self.command, "path": url.path, "query": parse_qs(url.query),
                                    "authorization": auth, "body": body}) + "\n")
            if auth != "Bearer test-token":
                return self.reply(401, {"message": "Bad credentials"})
            parts = url.path.strip("/").split("/")
            if len(parts) < 4 or parts[0] != "repos":
                return self.reply(404, {"message": "Not Found"})
            repo = parts[1] + "/" + parts[2]
            rest = parts[3:]
            if rest == ["pulls"] and self.command == "GET":
                q = parse_qs(url.query)
                state = q.get("state", ["open"])[0]
                head = q.get("head", [""])[0]
                base = q.get("base", [None])[0]
                found = [p for p in pulls.values() if p["repo"] == repo and p["state"] == state and head in ("", p["owner"] + ":" + p["head"]["ref"])
                         and (base is None or p["base"]["ref"] == base)]
                return self.reply(200, found)
            if rest == ["pulls"] and self.command == "POST":
                n = sum(1 for p in pulls.values() if p["repo"] == repo) + 1
                p = {"number": n, "repo": repo, "state": "open", "title": body["title"], "body": body["body"],
                     "head": {"ref": body["head"]}, "base": {"ref": body["base"]}, "owner": parts[1],
                     "html_url": f"https://github.example/{repo}/pull/{n}", "labels": []}
                pulls[(repo, n)] = p
                return self.reply(201, p)
            if len(rest) == 2 and rest[0] == "pulls" and self.command == "PATCH":
                p = pulls.get((repo, int(rest[1])))
                if not p:
                    return self.reply(404, {"message": "Not Found"})
                p.update({k: v for k, v in body.items() if k in ("title", "body", "state", "base")})
                return self.reply(200, p)
            if len(rest) == 3 and rest[0] == "issues" and rest[2] == "labels" and self.command == "POST":
                p = pulls.get((repo, int(rest[1])))
                if not p:
                    return self.reply(404, {"message": "Not Found"})
                p["labels"] = sorted(set(p["labels"]) | set(body["labels"]))
                return self.reply(200, [{"name": name} for name in p["labels"]])
            if len(rest) == 3 and rest[0] == "issues" and rest[2] == "comments" and self.command == "POST":
                return self.reply(201, {"id": 1, "body": body["body"]})
            return self.reply(404, {"message": "Not Found"})

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = handle_any


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os  # noqa: E402

os.replace(port_file + ".tmp", port_file)
threading.Thread(target=lambda: (time.sleep(timeout), server.shutdown()), daemon=True).start()
server.serve_forever()
