"""A small web app that reads and writes the default snapshot's tables (runtime.block,
runtime.item). It knows nothing of dotbox: it talks to PostgreSQL on localhost:5432 with the
standard PG* variables, through psql, like any application configured for a local database.

GET /          the items, as JSON
POST /items    ?block=C1&slug=hello&title=Hello: insert an item (its block is made if missing)
"""

import json
import os
import subprocess
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


def psql(sql: str, *args: str) -> str:
    variables = [f"-vv{i}={a}" for i, a in enumerate(args)]
    return subprocess.run(
        ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", *variables],
        input=sql, capture_output=True, text=True, check=True,
    ).stdout


LIST = """SELECT coalesce(json_agg(json_build_object('id', id, 'block', block_code, 'slug', slug,
  'title', title, 'status', status) ORDER BY id), '[]') FROM runtime.item;"""
INSERT = """INSERT INTO runtime.block (code, title) VALUES (:'v0', 'made by the example app')
  ON CONFLICT (code) DO NOTHING;
INSERT INTO runtime.item (block_code, slug, title) VALUES (:'v0', :'v1', :'v2') RETURNING id;"""


class Handler(BaseHTTPRequestHandler):
    def reply(self, code: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        try:
            self.reply(200, json.loads(psql(LIST)))
        except subprocess.CalledProcessError as exc:
            self.reply(503, {"error": exc.stderr.strip()})

    def do_POST(self) -> None:
        q = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
        try:
            row = psql(INSERT, q.get("block", "C1"), q["slug"], q.get("title", q["slug"]))
            self.reply(201, {"id": int(row.strip())})
        except KeyError:
            self.reply(400, {"error": "slug is required"})
        except subprocess.CalledProcessError as exc:
            self.reply(422, {"error": exc.stderr.strip()})


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "8080"))
    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()
