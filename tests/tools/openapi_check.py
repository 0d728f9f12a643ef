#!/usr/bin/env python3
"""Checks docs/openapi.json and a running sigcard-server against it, for
tests/integration/server_api.sh. Prints one line per check, "ok WHAT" or
"not ok WHAT: WHY"; exits 1 if any failed.

  openapi_check.py DOC BASE_URL < REQUESTS

The document: OpenAPI 3.1, every schema a valid JSON Schema 2020-12 (the
dialect 3.1 uses), every $ref found, every {parameter} of a path declared.

REQUESTS, one a line: METHOD PATH STATUS [BODY-BYTES]. Each is sent to
BASE_URL; the answer must have STATUS, a status the document declares for
that path (or "default"), a Content-Type it declares there, and a body its
schema accepts. A path no template matches must be a 404 and an Error.
Each documented path must be among the requests.

  openapi_check.py pages DOC BASE_URL PATH KEY

walks PATH's pages two rows at a time by their "next" cursors: together
they must be the whole list of one page of 1000, each row once, and each
page valid against the document."""
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
import warnings

import jsonschema

# Debian 12's jsonschema (4.10) resolves $ref this way; later ones warn.
warnings.simplefilter("ignore", DeprecationWarning)
VALIDATOR = jsonschema.Draft202012Validator
FAILED = []


def report(ok, what, why=""):
    if ok:
        print(f"ok {what}")
    else:
        print(f"not ok {what}: {why}")
        FAILED.append(what)


def resolve(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        node = ref_target(doc, node["$ref"])
    return node


def ref_target(doc, ref):
    if not ref.startswith("#/"):
        raise KeyError(f"not a reference into this document: {ref}")
    node = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def all_refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                yield v
            else:
                yield from all_refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from all_refs(v)


def check_document(doc):
    report(str(doc.get("openapi", "")).startswith("3.1."), "the document is OpenAPI 3.1",
           repr(doc.get("openapi")))
    info = doc.get("info", {})
    report(isinstance(info.get("title"), str) and isinstance(info.get("version"), str),
           "info has a title and a version", repr(info))
    bad = []
    for ref in sorted(set(all_refs(doc))):
        try:
            ref_target(doc, ref)
        except (KeyError, TypeError) as e:
            bad.append(f"{ref} ({e})")
    report(not bad, "every $ref is found in the document", ", ".join(bad))
    bad = []
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        try:
            VALIDATOR.check_schema(schema)
        except jsonschema.SchemaError as e:
            bad.append(f"{name}: {e.message}")
    report(not bad, "every component schema is valid JSON Schema 2020-12", "; ".join(bad))
    bad = []
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                bad.append(f"{method} {path}: no responses")
                continue
            declared = {resolve(doc, p)["name"] for p in op.get("parameters", [])
                        if resolve(doc, p).get("in") == "path" and resolve(doc, p).get("required")}
            for name in re.findall(r"{([^}]+)}", path):
                if name not in declared:
                    bad.append(f"{method} {path}: {{{name}}} not a required path parameter")
            for status, resp in op["responses"].items():
                resp = resolve(doc, resp)
                if not (status == "default" or re.fullmatch(r"[1-5][0-9][0-9]", status)):
                    bad.append(f"{method} {path}: status {status}")
                if "description" not in resp:
                    bad.append(f"{method} {path} {status}: no description")
                for media, content in resp.get("content", {}).items():
                    try:
                        VALIDATOR.check_schema(content.get("schema", {}))
                    except jsonschema.SchemaError as e:
                        bad.append(f"{method} {path} {status} {media}: {e.message}")
    report(not bad, "every operation's parameters and responses are well formed", "; ".join(bad))


def template_of(doc, path):
    for tpl in doc["paths"]:
        rx = "^" + "".join("[^/]+" if part.startswith("{") else re.escape(part)
                           for part in re.split(r"({[^}]+})", tpl)) + "$"
        if re.match(rx, path):
            return tpl
    return None


def fetch(base, method, path, body=None):
    req = urllib.request.Request(base + path, data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def validate(doc, schema, value):
    resolver = jsonschema.RefResolver.from_schema(doc)
    errors = sorted(VALIDATOR(schema, resolver=resolver).iter_errors(value), key=str)
    return "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:3])


def check_answer(doc, method, path, want, body=None):
    what = f"{method} {path} -> {want}"
    status, ctype, raw = fetch(doc["_base"], method, path, body)
    if status != want:
        return report(False, what, f"status {status}: {raw[:200]!r}")
    tpl = template_of(doc, path.split("?")[0])
    if tpl is None:
        if status != 404:
            return report(False, what, "no documented path, yet not 404")
        resp = resolve(doc, doc["components"]["responses"]["Error"])
    else:
        responses = doc["paths"][tpl]["get"]["responses"]
        resp = resolve(doc, responses.get(str(status), responses.get("default")))
        if resp is None:
            return report(False, what, f"{status} is not declared for {tpl}")
    media = ctype.split(";")[0].strip()
    content = resp.get("content", {})
    if media not in content:
        return report(False, what, f"Content-Type {ctype!r}, declared {sorted(content)}")
    if method == "HEAD" or media != "application/json":
        report(True, what)
        return tpl
    try:
        value = json.loads(raw)
    except ValueError as e:
        return report(False, what, f"not JSON ({e}): {raw[:200]!r}")
    why = validate(doc, content[media].get("schema", {}), value)
    report(not why, what + (f" ({tpl})" if tpl else ""), why)
    return tpl


def check_requests(doc, lines):
    seen = set()
    for line in lines:
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        method, path, status = parts[0], parts[1], int(parts[2])
        body = b"x" * int(parts[3]) if len(parts) > 3 else None
        tpl = check_answer(doc, method, path, status, body)
        if tpl and status == 200:
            seen.add(tpl)
    missed = sorted(set(doc["paths"]) - seen)
    report(not missed, "every documented path answered 200 once", ", ".join(missed))


def check_pages(doc, path, key):
    sep = "&" if "?" in path else "?"
    _, _, raw = fetch(doc["_base"], "GET", f"{path}{sep}limit=1000")
    whole = json.loads(raw)[key]
    got, after, pages = [], None, 0
    while pages <= len(whole):
        q = f"{path}{sep}limit=2" + (f"&after={urllib.parse.quote(after)}" if after else "")
        check_answer(doc, "GET", q, 200)
        page = json.loads(fetch(doc["_base"], "GET", q)[2])
        pages += 1
        got += page[key]
        after = page.get("next")
        if not after:
            break
    report(got == whole and len(whole) > 2,
           f"{path} in pages of 2: {pages} pages, the {len(whole)} rows once each, in order",
           f"pages gave {len(got)} rows, the whole list {len(whole)}")


def main(argv):
    pages = argv[1:2] == ["pages"]
    args = argv[2:] if pages else argv[1:]
    if len(args) != (4 if pages else 2):
        print(__doc__, file=sys.stderr)
        return 2
    with open(args[0], encoding="utf-8") as f:
        doc = json.load(f)
    if pages:
        doc["_base"] = args[1]
        check_pages(doc, args[2], args[3])
    else:
        check_document(doc)
        doc["_base"] = args[1]
        check_requests(doc, sys.stdin.read().splitlines())
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
