#!/usr/bin/env python3
"""A webhook receiver for the tests: an independent check of isomine's Standard Webhooks signatures.

Listens on 127.0.0.1 (a given port, or a free one written to --port-file), answers each POST with
the next status of --responses (the last one repeats), optionally after --delay seconds and with a
Retry-After header (and a Location header, --location), verifies webhook-signature with Python's own hmac, and appends one JSON line per
request to --log: webhook-id, timestamp, whether the signature verified, the status sent, the body,
and — when the body links a report on this machine (data.report_url = file://…) — whether that page
existed when the request arrived.
"""
import argparse, base64, hashlib, hmac, json, os, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

p = argparse.ArgumentParser()
p.add_argument("--port", type=int, default=0)
p.add_argument("--port-file", required=True)
p.add_argument("--log", required=True)
p.add_argument("--secret", required=True)
p.add_argument("--responses", default="200")
p.add_argument("--delay", type=float, default=0)
p.add_argument("--retry-after", default="")
p.add_argument("--location", default="")
args = p.parse_args()

key = base64.b64decode(args.secret[len("whsec_"):])
responses = [int(s) for s in args.responses.split(",")]
lock = threading.Lock()
count = [0]


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        msg_id = self.headers.get("webhook-id", "")
        ts = self.headers.get("webhook-timestamp", "")
        expected = base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
        given = [s.split(",", 1)[1] for s in self.headers.get("webhook-signature", "").split() if s.startswith("v1,")]
        valid = any(hmac.compare_digest(expected, g) for g in given)
        fresh = ts.isdigit() and abs(time.time() - int(ts)) < 300
        with lock:
            status = responses[min(count[0], len(responses) - 1)]
            count[0] += 1
        if args.delay:
            time.sleep(args.delay)
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        url = ((payload or {}).get("data") or {}).get("report_url", "") if isinstance(payload, dict) else ""
        entry = {"id": msg_id, "timestamp": ts, "valid": valid and fresh, "status": status,
                 "content_type": self.headers.get("Content-Type"), "payload": payload}
        if isinstance(url, str) and url.startswith("file://"):
            entry["report_exists"] = os.path.exists(url[len("file://"):])
        with lock, open(args.log, "a") as f:
            f.write(json.dumps(entry) + "\n")
        self.send_response(status)
        if args.retry_after:
            self.send_header("Retry-After", args.retry_after)
        if args.location:
            self.send_header("Location", args.location)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *a):
        pass


server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
with open(args.port_file + ".tmp", "w") as f:
    # The port, and this process's own pid (python3 may run under a wrapper script with another pid).
    f.write("%d %d" % (server.server_address[1], os.getpid()))
os.rename(args.port_file + ".tmp", args.port_file)
server.serve_forever()
