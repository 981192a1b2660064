"""``/docs``: the API reference as one self-contained HTML page, built from the OpenAPI document.

FastAPI's own /docs loads Swagger UI from a CDN, which fails on a machine without a network;
this page has no script and no link outside the server: endpoints, request and response
schemas, the error codes and the limits, with the raw document at ``/openapi.json``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from typing import Any

STYLE = """
body { margin: 0 auto; max-width: 960px; padding: 0 1rem 3rem; font: 15px/1.5 system-ui, sans-serif; color: #1d2433; }
h1 { margin: 1.5rem 0 0.2rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #dde; }
h3 { margin: 1.4rem 0 0.3rem; font-size: 1.05rem; }
code, pre { font-family: ui-monospace, monospace; font-size: 0.88rem; }
pre { background: #f4f5f9; padding: 0.6rem; border-radius: 6px; white-space: pre-wrap; }
table { border-collapse: collapse; width: 100%; margin: 0.4rem 0; }
th, td { text-align: left; vertical-align: top; padding: 0.25rem 0.6rem 0.25rem 0; border-bottom: 1px solid #eef; }
.method { display: inline-block; min-width: 3.6rem; font-weight: 700; color: #3b5bdb; }
.muted { color: #6b7385; }
"""


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_of(schema: Mapping[str, Any]) -> str:
    """A short, readable type for a JSON schema (``list[string]``, ``AnalyzeRequest``, ...)."""
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " | ".join(type_of(s) for s in schema[key])
    kind = schema.get("type", "any")
    if kind == "array":
        kind = f"list[{type_of(schema.get('items', {}))}]"
    elif kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        kind = f"object of {type_of(schema['additionalProperties'])}"
    bounds = [f"{name} {schema[key]:g}" for key, name in (("minimum", "≥"), ("maximum", "≤"),
                                                           ("minItems", "items ≥")) if key in schema]
    return kind + (f" ({', '.join(bounds)})" if bounds else "")


def _schema_table(schema: Mapping[str, Any]) -> str:
    properties = schema.get("properties", {})
    if not properties:
        return f"<p><code>{escape(type_of(schema))}</code></p>"
    required = set(schema.get("required", ()))
    rows = []
    for name, prop in properties.items():
        default = "required" if name in required else (
            f"default <code>{escape(json.dumps(prop['default']))}</code>" if "default" in prop else "optional")
        rows.append(f"<tr><td><code>{escape(name)}</code></td><td><code>{escape(type_of(prop))}</code></td>"
                    f"<td>{default}</td><td>{escape(prop.get('description', ''))}</td></tr>")
    return ("<table><tr><th>field</th><th>type</th><th></th><th>meaning</th></tr>"
            + "".join(rows) + "</table>")


def _operation(path: str, method: str, op: Mapping[str, Any]) -> str:
    anchor = f"{method}-{path}".replace("/", "-").strip("-")
    out = [(f'<h3 id="{escape(anchor)}"><span class="method">{method.upper()}</span> <code>{escape(path)}</code>'
            f' <span class="muted">{escape(op.get("summary", ""))}</span></h3>')]
    if op.get("description"):
        out.append(f"<p>{escape(op['description'])}</p>")
    body = op.get("requestBody", {}).get("content", {})
    for media, content in body.items():
        out.append(f"<p>Body (<code>{escape(media)}</code>): "
                   f"<code>{escape(type_of(content.get('schema', {})))}</code></p>")
    responses = []
    for status, response in op.get("responses", {}).items():
        schemas = [type_of(c.get("schema", {})) for c in response.get("content", {}).values()]
        shown = ", ".join(s for s in schemas if s != "any") or "—"
        responses.append(f"<tr><td>{escape(status)}</td><td><code>{escape(shown)}</code></td>"
                         f"<td>{escape(response.get('description', ''))}</td></tr>")
    if responses:
        out.append("<table><tr><th>status</th><th>body</th><th>when</th></tr>" + "".join(responses) + "</table>")
    return "\n".join(out)


def render_docs(openapi: Mapping[str, Any], error_codes: Mapping[str, tuple[int, str]],
                class_codes: Mapping[str, str], limits: Mapping[str, Any]) -> str:
    """The whole page.  ``class_codes``: code -> meaning of the errors emoscope raises (422)."""
    info = openapi.get("info", {})
    parts = [f"<h1>{escape(info.get('title', 'API'))} <span class='muted'>{escape(info.get('version', ''))}</span></h1>",
             f"<p>{escape(info.get('description', ''))}</p>",
             ("<p>Send requests as JSON with <code>content-type: application/json</code>, and a "
              "recording to <code>/v1/speech</code> or an image to <code>/v1/face</code> as "
              "<code>multipart/form-data</code> (<code>curl -F file=@clip.wav</code>). "
              "The machine-readable document is <a href=\"/openapi.json\">/openapi.json</a>; "
              "the web page is at <a href=\"/\">/</a>.</p>"),
             ("<p><a href='#endpoints'>Endpoints</a> · <a href='#schemas'>Schemas</a> · "
              "<a href='#errors'>Errors</a> · <a href='#limits'>Limits</a></p>"),
             "<h2 id='endpoints'>Endpoints</h2>"]
    for path, methods in openapi.get("paths", {}).items():
        for method, op in methods.items():
            parts.append(_operation(path, method, op))
    parts.append("<h2 id='schemas'>Schemas</h2>")
    for name, schema in openapi.get("components", {}).get("schemas", {}).items():
        parts.append(f"<h3 id='schema-{escape(name)}'>{escape(name)}</h3>")
        if schema.get("description"):
            parts.append(f"<p>{escape(schema['description'])}</p>")
        parts.append(_schema_table(schema))
        for example in schema.get("examples", []):
            parts.append(f"<p>Example:</p><pre>{escape(json.dumps(example, ensure_ascii=False))}</pre>")
    parts.append("<h2 id='errors'>Errors</h2><p>Every error is a JSON body "
                 "<code>{\"error\": {\"code\": ..., \"message\": ..., ...}}</code>; codes are snake_case.</p>"
                 "<table><tr><th>status</th><th>code</th><th>when</th></tr>")
    rows = sorted([(status, code, text) for code, (status, text) in error_codes.items()]
                  + [(422, code, text) for code, text in class_codes.items()])
    parts += [f"<tr><td>{status}</td><td><code>{escape(code)}</code></td><td>{escape(text)}</td></tr>"
              for status, code, text in rows]
    parts.append("</table><h2 id='limits'>Limits of this server</h2><table>")
    parts += [f"<tr><td><code>{escape(k)}</code></td><td>{escape(str(v))}</td></tr>" for k, v in limits.items()]
    parts.append("</table>")
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(info.get('title', 'API'))} API</title><link rel=\"icon\" href=\"data:,\">"
            f"<style>{STYLE}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n")
