#!/usr/bin/env python3
"""Compare how podsec reads YAML with how the Kubernetes API server reads it (sigs.k8s.io/yaml on
go-yaml v2), document by document, on real files and on thousands of mutants of them.

The reference ("oracle") is libyaml, the C library go-yaml v2 was ported from, driven through
PyYAML's C event parser (`yaml.CSafeLoader`). Only libyaml's *events* are used: PyYAML's resolver and
constructor are not (they differ from go-yaml v2 in many known ways: no `y`/`n` booleans, sexagesimal
ints, timestamps become datetimes, `=` is a value tag, merge keys let explicit keys win, ...). From the
events this script rebuilds what go-yaml v2 and sigs.k8s.io/yaml do (decode.go, resolve.go of
go-yaml v2.4; yaml.go of sigs.k8s.io/yaml v1.6):

- node tree as go-yaml's parser builds it: an anchor is registered when its node *starts* (an alias
  inside its own anchored collection is "anchor 'a' value contains itself"), an unknown alias fails;
- scalars: an untagged quoted/block scalar is a string; a plain one, or a tagged one, goes through
  go-yaml v2's `resolve()` (hint table on the first byte; y/Y/yes/on/... booleans; `_` dropped before
  Go's `ParseInt(s, 0, 64)`, then `ParseUint`, then the float regexp
  `^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$` with `ParseFloat` (an out-of-range float
  such as `1e400` is a *string*), then the odd `0b`/`-0b` fallbacks); a tagged value that does not
  fit its tag fails; `!!binary` is base64-decoded; timestamps stay strings (decode.go sets
  `n.value` for a `!!timestamp` into `interface{}`); a non-core tag (`!foo`) leaves the text a string;
- mappings: `<<` (plain untagged, or `!!merge`, or tag `!`) merges in place in document order (a
  later explicit key overrides it, and it overrides earlier ones); a sequence of maps is merged
  last-to-first; anything else is "map merge requires map or sequence of maps as the value"; other
  duplicate keys: the last wins; a collection as a key fails ("invalid map key");
- go-yaml's alias-expansion guard ("document contains excessive aliasing");
- sigs.k8s.io/yaml: keys become strings (int: decimal; float64: `FormatFloat(f, 'g', -1, 32)` with
  `.inf`/`-.inf`/`.nan`; bool: true/false); a null or uint64 key is "unsupported map key"; two
  different Go keys that stringify the same (`1` and `"1"`) are decided by Go's random map order
  (reported as ambiguous, not as a disagreement); NaN/Inf values fail in json.Marshal;
- documents whose root is null are dropped (as kubectl drops them); the stream stops at the first
  error (go-yaml cannot go on; podsec recovers at the next `---`, so its later documents are not
  compared).

Where libyaml itself (0.2.5/0.2.6 in PyYAML's wheels) and go-yaml v2's port of it differ, the
oracle applies go-yaml v2's behaviour (see GO_YAML_V2_VS_LIBYAML below); where it cannot compute
go-yaml's answer from libyaml's events it marks the document "uncertain" with the reason.

Usage:
  python3 -m venv /tmp/ydiff && /tmp/ydiff/bin/pip install pyyaml
  cargo build --release
  /tmp/ydiff/bin/python tools/yaml-diff.py [--mutants 20000] [--seed 1] [--out /tmp/yaml-diff] PATHS...
  /tmp/ydiff/bin/python tools/yaml-diff.py --expected testdata/yaml-agreement   # re-check the cases

With no PATHS it reads the default set (../shared corpus, kustomize, conformance *.yaml; testdata/;
examples/). It writes OUT/report.md (counts, one line per cause with a minimised example),
OUT/disagreements.jsonl and OUT/examples/<cause>.yaml, and exits 1 when a real disagreement remains.
"""

import argparse
import base64
import collections
import hashlib
import json
import math
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
from fractions import Fraction

import yaml

if not getattr(yaml, "__with_libyaml__", False):
    sys.exit("PyYAML was built without libyaml: `pip install pyyaml` from a wheel (yaml.__with_libyaml__ is False)")

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

# ---------------------------------------------------------------------------------------------------
# Known places where libyaml (as bundled in PyYAML) and go-yaml v2 read the same text differently.
# Each is applied by the oracle so that what remains are podsec's own disagreements.
GO_YAML_V2_VS_LIBYAML = {
    "yaml-directive": "go-yaml v2 parserc.go yaml_parser_process_directives: `%YAML` other than 1.1 is "
    "'found incompatible YAML document' (libyaml >= 0.2.3 also accepts 1.2)",
    "flow-question-mark": "go-yaml v2 scannerc.go yaml_parser_scan_plain_scalar: in a flow collection any `?` "
    "ends a plain scalar (libyaml 0.2.5 only `? ` followed by a blank), so `[a?b]` is not `a?b`; the oracle "
    "reports such documents as 'uncertain' (go-yaml v2 then fails: did not find expected ',' or ']')",
    "reader-lookahead": "readerc.go yaml_parser_update_buffer decodes (and checks for control characters) ahead of "
    "the parser, 512 bytes at a time in go-yaml, 16 KiB in libyaml: which document a reader error lands in is a "
    "buffer-size accident, so podsec agrees when it rejects the document that holds the character or a later one",
    "uint-and-ambiguous-keys": "not libyaml but sigs.k8s.io/yaml: keys are stringified after decoding; two different "
    "Go keys with the same string (`1` and `\"1\"`) make the result depend on Go's random map order ('ambiguous')",
}

LONG = "tag:yaml.org,2002:"
STR, BOOL, INT, FLOAT, NULL, TIMESTAMP, BINARY, MERGE = (
    LONG + t for t in ("str", "bool", "int", "float", "null", "timestamp", "binary", "merge")
)


DEADLINE = None


class Timeout(Exception):
    """The oracle ran out of its time for one input."""


def tick():
    if DEADLINE is not None and time.monotonic() > DEADLINE:
        raise Timeout()


class GoError(Exception):
    """What go-yaml v2 / sigs.k8s.io/yaml would fail with."""


class Uncertain(Exception):
    """libyaml's events do not tell what go-yaml v2 would do here."""


class GoUint(int):
    """A uint64 from ParseUint (go-yaml returns it for 2^63..2^64-1)."""


def short_tag(tag):
    return "!!" + tag[len(LONG):] if tag.startswith(LONG) else tag


# ---------------------------------------------------------------------------------------------------
# go-yaml v2 resolve.go


def _hint(c):
    if c in "+-":
        return "S"
    if c.isdigit() and c in "0123456789":
        return "D"
    if c in "yYnNtTfFoO~":
        return "M"
    if c == ".":
        return "."
    return None


RESOLVE_MAP = {}
for _v, _t, _l in [
    (True, BOOL, ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"]),
    (False, BOOL, ["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"]),
    (None, NULL, ["", "~", "null", "Null", "NULL"]),
    (math.nan, FLOAT, [".nan", ".NaN", ".NAN"]),
    (math.inf, FLOAT, [".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"]),
    (-math.inf, FLOAT, ["-.inf", "-.Inf", "-.INF"]),
    ("<<", MERGE, ["<<"]),
]:
    for _s in _l:
        RESOLVE_MAP[_s] = (_t, _v)

INT64_MIN, INT64_MAX, UINT64_MAX = -(2**63), 2**63 - 1, 2**64 - 1
GO_FLOAT_RE = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
DIGITS = {2: "01", 8: "01234567", 10: "0123456789", 16: "0123456789abcdefABCDEF"}


def go_parse_uint_digits(s, base):
    if not s or any(c not in DIGITS[base] for c in s):
        return None
    return int(s, base)


def go_parse_int(s, base, unsigned=False):
    """strconv.ParseInt / ParseUint (Go >= 1.13) on text without underscores."""
    neg = False
    if s[:1] in ("+", "-"):
        if unsigned:
            return None
        neg = s[0] == "-"
        s = s[1:]
    if base == 0:
        base = 10
        if s[:1] == "0":
            if s[1:2] in ("x", "X"):
                base, s = 16, s[2:]
            elif s[1:2] in ("o", "O"):
                base, s = 8, s[2:]
            elif s[1:2] in ("b", "B"):
                base, s = 2, s[2:]
            elif len(s) > 1:
                base, s = 8, s[1:]
    n = go_parse_uint_digits(s, base)
    if n is None:
        return None
    if unsigned:
        return n if n <= UINT64_MAX else None
    n = -n if neg else n
    return n if INT64_MIN <= n <= INT64_MAX else None


def go_parse_float(s):
    """strconv.ParseFloat(s, 64) for the decimal texts that reach it; None on error (incl. range)."""
    if "_" in s or not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", s):
        return None
    f = float(s)
    return None if math.isinf(f) else f


TIMESTAMP_RE = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}"
    r"(([Tt]\d{1,2}:\d{1,2}:\d{1,2}(\.\d+)?(Z|[-+]\d\d:\d\d))|( \d{1,2}:\d{1,2}:\d{1,2}(\.\d+)?))?"
)


def go_resolve(tag, s):
    """(rtag, value) as go-yaml v2's resolve(tag, in); tag is '' or a long tag."""
    if tag not in ("", STR, BOOL, INT, FLOAT, NULL, TIMESTAMP):
        return tag, s
    rtag, out = _resolve(tag, s)
    if tag in ("", rtag, STR, BINARY):
        return rtag, out
    if tag == FLOAT and rtag == INT and not isinstance(out, GoUint):
        return FLOAT, float(out)
    raise GoError("cannot decode %s `%s` as a %s" % (short_tag(rtag), s, short_tag(tag)))


def _resolve(tag, s):
    hint = _hint(s[0]) if s else "N"
    if hint is None or tag in (STR, BINARY):
        return STR, s
    if s in RESOLVE_MAP:
        return RESOLVE_MAP[s]
    if hint == ".":
        f = go_parse_float(s)
        if f is not None:
            return FLOAT, f
    elif hint in ("D", "S"):
        if tag in ("", TIMESTAMP) and TIMESTAMP_RE.fullmatch(s):
            return TIMESTAMP, s
        plain = s.replace("_", "")
        n = go_parse_int(plain, 0)
        if n is not None:
            return INT, n
        n = go_parse_int(plain, 0, unsigned=True)
        if n is not None:
            return INT, GoUint(n)
        if GO_FLOAT_RE.match(plain):
            f = go_parse_float(plain)
            if f is not None:
                return FLOAT, f
        if plain.startswith("0b"):
            n = go_parse_int(plain[2:], 2)
            if n is not None:
                return INT, n
            n = go_parse_int(plain[2:], 2, unsigned=True)
            if n is not None:
                return INT, GoUint(n)
        elif plain.startswith("-0b"):
            n = go_parse_int("-" + plain[3:], 2)
            if n is not None:
                return INT, n
    return STR, s


# ---------------------------------------------------------------------------------------------------
# go-yaml v2 decode.go: node tree from events, then decoding into interface{}


class Node:
    __slots__ = ("kind", "tag", "value", "implicit", "children", "alias", "anchor", "line", "flow_q")

    def __init__(self, kind, tag="", value=None, implicit=False, line=0):
        self.kind, self.tag, self.value, self.implicit, self.line = kind, tag or "", value, implicit, line
        self.children, self.alias, self.anchor, self.flow_q = [], None, None, False


def go_documents(data):
    """Yield (doc_node | GoError | Uncertain, line) per document, go-yaml v2's way, until the first error."""
    loader = yaml.CSafeLoader(data)
    try:
        stack, root, anchors, flow = [], None, {}, 0
        while True:
            try:
                ev = loader.get_event()
            except yaml.MarkedYAMLError as e:
                mark = e.problem_mark or e.context_mark
                yield GoError(e.problem or str(e)), (mark.line + 1 if mark else 0)
                return
            except yaml.YAMLError as e:  # reader errors (bad UTF-8, control characters)
                yield GoError(str(e).splitlines()[0] if str(e) else "reader error"), getattr(e, "line", 0)
                return
            if ev is None or isinstance(ev, yaml.StreamEndEvent):
                return
            tick()
            line = ev.start_mark.line + 1 if ev.start_mark else 0
            if isinstance(ev, yaml.DocumentStartEvent):
                stack, root, anchors, flow = [], None, {}, 0
                if ev.version is not None and ev.version != (1, 1):
                    yield GoError("found incompatible YAML document"), line
                    return
                continue
            if isinstance(ev, yaml.DocumentEndEvent):
                yield root, 0
                continue
            if isinstance(ev, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                n = stack.pop()
                if getattr(n, "_flow", False):
                    flow -= 1
                continue
            if isinstance(ev, yaml.AliasEvent):
                n = Node("alias", line=line)
                n.value = ev.anchor
                n.alias = anchors.get(ev.anchor)
                if n.alias is None:
                    yield GoError("unknown anchor '%s' referenced" % ev.anchor), line
                    return
            elif isinstance(ev, yaml.ScalarEvent):
                n = Node("scalar", ev.tag, ev.value, ev.implicit[0], line)
                if flow and ev.style == "" and "?" in ev.value:
                    n.flow_q = True
            elif isinstance(ev, yaml.SequenceStartEvent):
                n = Node("seq", ev.tag, line=line)
            elif isinstance(ev, yaml.MappingStartEvent):
                n = Node("map", ev.tag, line=line)
            else:
                continue
            anchor = getattr(ev, "anchor", None)
            if anchor is not None and n.kind != "alias":
                anchors[anchor] = n
            if stack:
                stack[-1].children.append(n)
            else:
                root = n
            if n.kind in ("seq", "map"):
                if ev.flow_style:
                    flow += 1
                    n.__class__ = FlowNode
                stack.append(n)
    finally:
        loader.dispose()


class FlowNode(Node):
    __slots__ = ()
    _flow = True


class Decoder:
    """go-yaml v2 decoder into interface{} (map[interface{}]interface{}, []interface{}, scalars)."""

    def __init__(self):
        self.aliases = set()
        self.decode_count = 0
        self.alias_count = 0
        self.alias_depth = 0

    @staticmethod
    def allowed_alias_ratio(count):
        if count <= 400000:
            return 0.99
        if count >= 4000000:
            return 0.10
        return 0.99 - 0.89 * ((count - 400000) / 3600000)

    def count(self):
        """The start of go-yaml's d.unmarshal: count the node, refuse excessive aliasing."""
        if self.decode_count & 1023 == 0:
            tick()
        self.decode_count += 1
        if self.alias_depth > 0:
            self.alias_count += 1
        if (
            self.alias_count > 100
            and self.decode_count > 1000
            and self.alias_count / self.decode_count > self.allowed_alias_ratio(self.decode_count)
        ):
            raise GoError("document contains excessive aliasing")

    def decode(self, n):
        self.count()
        if n.kind == "alias":
            if id(n) in self.aliases:
                raise GoError("anchor '%s' value contains itself" % n.value)
            self.aliases.add(id(n))
            self.alias_depth += 1
            try:
                return self.decode(n.alias)
            finally:
                self.alias_depth -= 1
                self.aliases.discard(id(n))
        if n.kind == "scalar":
            return self.scalar(n)
        if n.kind == "seq":
            return [self.decode(c) for c in n.children]
        out = {}
        self.mapping(n, out)
        return out

    def scalar(self, n):
        if n.flow_q:
            raise Uncertain("flow-question-mark")
        if n.tag == "" and not n.implicit:
            return n.value
        tag = "" if n.tag == "!" else n.tag
        if n.tag == "!":
            # plain_implicit is true for tag `!`: go-yaml resolves with tag "!", not resolvable: a string
            return n.value
        rtag, value = go_resolve(tag, n.value)
        if rtag == BINARY:
            try:
                raw = base64.b64decode(value, validate=True)
            except Exception:
                raise GoError("!!binary value contains invalid base64 data")
            return raw.decode("utf-8", "replace")
        if rtag == TIMESTAMP:
            return n.value
        return value

    def mapping(self, n, out):
        kids = n.children
        for i in range(0, len(kids) - 1, 2):
            k, v = kids[i], kids[i + 1]
            if is_merge(k):
                self.merge(v, out)
                continue
            key = self.decode(k)
            if isinstance(key, (dict, list)):
                raise GoError("invalid map key: %r" % (key,))
            out[go_key(key)] = self.decode(v)

    def merge(self, n, out):
        want = "map merge requires map or sequence of maps as the value"
        if n.kind == "map":
            self.decode_into(n, out)
        elif n.kind == "alias":
            if n.alias.kind != "map":
                raise GoError(want)
            self.decode_into(n, out)
        elif n.kind == "seq":
            for c in reversed(n.children):
                if c.kind == "alias":
                    if c.alias.kind != "map":
                        raise GoError(want)
                elif c.kind != "map":
                    raise GoError(want)
                self.decode_into(c, out)
        else:
            raise GoError(want)

    def decode_into(self, n, out):
        """d.unmarshal(n, out) with out an existing map."""
        self.count()
        if n.kind == "alias":
            if id(n) in self.aliases:
                raise GoError("anchor '%s' value contains itself" % n.value)
            self.aliases.add(id(n))
            self.alias_depth += 1
            try:
                return self.decode_into(n.alias, out)
            finally:
                self.alias_depth -= 1
                self.aliases.discard(id(n))
        self.mapping(n, out)


def is_merge(n):
    return n.kind == "scalar" and n.value == "<<" and (n.implicit or n.tag == MERGE)


class NaNKey:
    """Every NaN is a different Go map key."""


def go_key(v):
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, GoUint):
        return ("uint", int(v))
    if isinstance(v, int):
        return ("int", v)
    if isinstance(v, float):
        return ("float", NaNKey()) if math.isnan(v) else ("float", v)
    if v is None:
        return ("nil", None)
    return ("str", v)


def go_format_float32_g(f):
    """strconv.FormatFloat(f, 'g', -1, 32)."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    try:
        f32 = struct.unpack("f", struct.pack("f", f))[0]
    except OverflowError:
        return "+Inf" if f > 0 else "-Inf"
    if f32 == 0:
        return "-0" if math.copysign(1, f32) < 0 else "0"
    for prec in range(1, 18):
        s = "%.*e" % (prec - 1, f32)
        if struct.unpack("f", struct.pack("f", float(s)))[0] == f32:
            break
    mant, exp = s.split("e")
    exp = int(exp)
    digits = mant.replace(".", "").replace("-", "")
    neg = mant.startswith("-")
    # Go's 'g' with the shortest precision uses %e when exp < -4 || exp >= 6 (eprec = 6 when shortest)
    if exp < -4 or exp >= 6:
        m = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return "%s%se%s%02d" % ("-" if neg else "", m, "-" if exp < 0 else "+", abs(exp))
    if exp >= 0:
        if len(digits) <= exp + 1:
            body = digits + "0" * (exp + 1 - len(digits))
        else:
            body = digits[: exp + 1] + "." + digits[exp + 1:]
    else:
        body = "0." + "0" * (-exp - 1) + digits
    return ("-" if neg else "") + body


class Ambiguous(Exception):
    """Go's random map iteration order decides the result."""


def to_json(v):
    """sigs.k8s.io/yaml convertToJSONableObject + json.Marshal (value-level checks)."""
    if isinstance(v, dict):
        out = {}
        for (kt, kv), val in v.items():
            if kt == "str":
                ks = kv
            elif kt == "int":
                ks = str(kv)
            elif kt == "float":
                ks = go_format_float32_g(math.nan if isinstance(kv, NaNKey) else kv)
                ks = {"+Inf": ".inf", "-Inf": "-.inf", "NaN": ".nan"}.get(ks, ks)
            elif kt == "bool":
                ks = "true" if kv else "false"
            elif kt == "uint":
                raise GoError("unsupported map key of type: uint64")
            else:
                raise GoError("unsupported map key of type: %!s(<nil>)")
            if ks in out:
                raise Ambiguous("two keys become %r" % ks)
            out[ks] = to_json(val)
        return out
    if isinstance(v, list):
        return [to_json(x) for x in v]
    if isinstance(v, float):
        if math.isnan(v):
            raise GoError("json: unsupported value: NaN")
        if math.isinf(v):
            raise GoError("json: unsupported value: %sInf" % ("+" if v > 0 else "-"))
        return GoFloat(v)
    return v


class GoFloat(float):
    """A float64 that json.Marshal writes (integral ones below 1e21 as integers)."""


def oracle(data):
    """[(kind, payload, line)] with kind 'json' | 'error' | 'uncertain' | 'ambiguous'; stops at the first error."""
    docs = []
    for node, line in go_documents(data):
        if isinstance(node, GoError):
            docs.append(("error", str(node), line))
            break
        if node is None:
            continue
        try:
            value = Decoder().decode(node)
            if value is None:
                continue
            docs.append(("json", to_json(value), node.line))
        except GoError as e:
            docs.append(("error", str(e), node.line))
            break
        except Uncertain as e:
            docs.append(("uncertain", str(e), node.line))
            break
        except Ambiguous as e:
            docs.append(("ambiguous", str(e), node.line))
            break
        except RecursionError:
            docs.append(("uncertain", "python-recursion", node.line))
            break
    return docs


# ---------------------------------------------------------------------------------------------------
# Comparing


class Num:
    """A JSON number as written: its exact value and whether it is written as an integer."""

    __slots__ = ("value", "integer")

    def __init__(self, value, integer):
        self.value, self.integer = value, integer

    def __repr__(self):
        return "%s%s" % (self.value, "" if self.integer else "f")


def load_podsec_json(text):
    return json.loads(
        text,
        parse_int=lambda s: Num(Fraction(int(s)), True),
        # the f64 podsec holds (its JSON text is the shortest form of that f64)
        parse_float=lambda s: Num(Fraction(float(s)), False),
    )


def go_canon(v):
    """The oracle's value with numbers as json.Marshal writes them."""
    if isinstance(v, dict):
        return {k: go_canon(x) for k, x in v.items()}
    if isinstance(v, list):
        return [go_canon(x) for x in v]
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, float):
        integer = v == int(v) and abs(v) < 1e21 if math.isfinite(v) else False
        return Num(Fraction(v), integer)
    return Num(Fraction(int(v)), True)


def diff(a, b, path="$"):
    """First difference between the oracle's value a and podsec's b: (kind, path, a, b) or None."""
    if isinstance(a, Num) and isinstance(b, Num):
        if a.value != b.value:
            return ("value", path, a, b)
        if a.integer != b.integer:
            return ("number-form", path, a, b)
        return None
    if type(a) is not type(b):
        return ("type", path, a, b)
    if isinstance(a, dict):
        only_a = [k for k in a if k not in b]
        only_b = [k for k in b if k not in a]
        if only_a or only_b:
            return ("keys", path, only_a, only_b)
        for k in a:
            d = diff(a[k], b[k], path + "." + k)
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return ("length", path, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = diff(x, y, "%s[%d]" % (path, i))
            if d:
                return d
        return None
    return None if a == b else ("value", path, a, b)


def shape(v):
    if isinstance(v, Num):
        return "int" if v.integer else "float"
    if isinstance(v, str):
        return "str"
    if isinstance(v, bool):
        return "bool"
    if v is None:
        return "null"
    return type(v).__name__


def norm_msg(m):
    m = re.sub(r"\d+", "N", m or "")
    m = re.sub(r"'[^']*'|`[^`]*`|\"[^\"]*\"", "Q", m)
    return m[:80]


def compare(name, data, pod):
    """Disagreements between the oracle on `data` and podsec's lines `pod` (list of dicts) for one input."""
    out = []
    if any(p.get("doc") is None for p in pod):
        p = next(p for p in pod if p.get("doc") is None)
        try:
            want = oracle(data)
        except Exception as e:  # noqa: BLE001
            want = [("error", "oracle crashed: %s" % e, 0)]
        first = want[0] if want else None
        if first and first[0] == "error":
            return []
        out.append({"class": "podsec-file-error", "sig": "file-error:" + norm_msg(p["error"]), "doc": 0,
                    "podsec": p["error"], "oracle": first[1] if first else "(no documents)"})
        return out
    want = oracle(data)
    pods = [p for p in pod if not p.get("fatal")]
    fatal = [p for p in pod if p.get("fatal")]
    for i, w in enumerate(want):
        kind, payload, wline = w
        p = pods[i] if i < len(pods) else (fatal[0] if fatal else None)
        if kind in ("uncertain", "ambiguous"):
            out.append({"class": kind, "sig": kind + ":" + payload.split(" ")[0], "doc": i, "oracle": payload,
                        "podsec": p and (p.get("error") or "json")})
            return out
        if p is None:
            out.append({"class": "doc-count", "sig": "doc-count:podsec-fewer:" + kind, "doc": i,
                        "oracle": kind if kind == "json" else payload, "podsec": "(no document)",
                        "oracle_docs": len(want), "podsec_docs": len(pods)})
            return out
        if kind == "error":
            if is_reader_error(payload):
                # The reader decodes ahead of the parser (go-yaml: 512 bytes; libyaml: 16 KiB), so where the
                # stream fails depends on buffer sizes, not on documents: podsec agrees if it rejects the
                # document that holds the character (any later one).
                if not any("error" in q for q in pods[i:]) and not fatal:
                    out.append({"class": "podsec-accepts", "sig": "podsec-accepts:" + norm_msg(payload), "doc": i,
                                "oracle": payload, "podsec": "json"})
                return out
            if "error" not in p:
                out.append({"class": "podsec-accepts", "sig": "podsec-accepts:" + norm_msg(payload), "doc": i,
                            "oracle": payload, "oracle_line": wline, "podsec": "json"})
            return out
        if "error" in p:
            out.append({"class": "podsec-rejects", "sig": "podsec-rejects:" + norm_msg(p["error"]), "doc": i,
                        "oracle": "json", "podsec": p["error"], "podsec_line": p.get("line")})
            return out
        d = diff(go_canon(payload), p["json_value"])
        if d:
            dk, path, a, b = d
            if dk == "keys":
                sig = "keys:%d->%d" % (len(a), len(b))
                if len(a) == 1 and len(b) == 1:
                    sig += ":" + classify_str_diff(a[0], b[0])
            else:
                sig = "%s:%s->%s" % (dk, shape(a), shape(b))
                if dk == "value" and isinstance(a, str):
                    sig += ":" + classify_str_diff(a, b)
            out.append({"class": "value" if dk != "number-form" else "number-form", "sig": sig, "doc": i,
                        "path": path, "oracle": repr(a)[:200], "podsec": repr(b)[:200]})
            return out
    if len(pods) > len(want) and (not want or want[-1][0] == "json"):
        out.append({"class": "doc-count", "sig": "doc-count:podsec-more", "doc": len(want),
                    "oracle_docs": len(want), "podsec_docs": len(pods),
                    "podsec": (pods[len(want)].get("error") or "json")})
    return out


def is_reader_error(msg):
    return "control characters are not allowed" in msg or "invalid" in msg and "UTF-8" in msg or "unacceptable" in msg


def classify_str_diff(a, b):
    if not isinstance(b, str):
        return "?"
    if a.rstrip("\n") == b.rstrip("\n"):
        return "trailing-newlines"
    if a.replace("\ufeff", "") == b.replace("\ufeff", ""):
        return "bom"
    if a.replace("\r", "") == b.replace("\r", ""):
        return "cr"
    if re.fullmatch(r"[-+.\deE]+", a) and re.fullmatch(r"[-+.\deE]+", b):
        return "number-text"
    if a.strip() == b.strip():
        return "outer-space"
    if " ".join(a.split()) == " ".join(b.split()):
        return "inner-space"
    return "text"


# ---------------------------------------------------------------------------------------------------
# Running podsec


def podsec_bin():
    return os.environ.get("PODSEC", os.path.join(REPO, "target", "release", "podsec"))


def run_podsec(paths, timeout):
    """{path: [lines]} for each path, or raise subprocess.TimeoutExpired."""
    proc = subprocess.run([podsec_bin(), "dump-json", *paths], capture_output=True, timeout=timeout)
    res = collections.defaultdict(list)
    for line in proc.stdout.decode("utf-8", "replace").split("\n"):
        if not line.strip():
            continue
        # keep the JSON text of `json` exact (number forms): parse the line with Num
        obj = load_podsec_json(line)
        raw = json.loads(line)
        rec = {k: v for k, v in raw.items() if k != "json"}
        if "json" in obj:
            rec["json_value"] = obj["json"]
        res[rec["file"]].append(rec)
    return res


def podsec_many(paths, timeout_per_file):
    """podsec's lines for every path, in batches, isolating any file that makes a batch time out."""
    result = {}
    batch = 400
    for i in range(0, len(paths), batch):
        chunk = paths[i:i + batch]
        try:
            result.update(run_podsec(chunk, timeout_per_file * 4 + 60))
        except subprocess.TimeoutExpired:
            for p in chunk:
                try:
                    result.update(run_podsec([p], timeout_per_file))
                except subprocess.TimeoutExpired:
                    result[p] = [{"file": p, "doc": None, "error": "TIMEOUT", "timeout": True}]
    return result


# ---------------------------------------------------------------------------------------------------
# Oracle with a time limit


def oracle_limited(data, seconds):
    global DEADLINE
    DEADLINE = time.monotonic() + seconds
    try:
        return oracle(data)
    except Timeout:
        return None
    finally:
        DEADLINE = None


# ---------------------------------------------------------------------------------------------------
# Inputs and mutants

DEFAULT_PATHS = [
    os.path.join(REPO, "..", "shared", "corpus"),
    os.path.join(REPO, "..", "shared", "kustomize"),
    os.path.join(REPO, "..", "shared", "conformance"),
    os.path.join(REPO, "testdata"),
    os.path.join(REPO, "examples"),
]


def collect(paths):
    files = []
    for p in paths:
        p = os.path.normpath(p)
        if os.path.isdir(p):
            only_yaml = os.path.basename(p) == "conformance"
            for d, dirs, names in os.walk(p):
                # the known-disagreement cases are checked with --expected, not counted as real files
                dirs[:] = sorted(x for x in dirs if x != "yaml-agreement" or os.path.abspath(d) != os.path.join(REPO, "testdata"))
                for n in sorted(names):
                    if only_yaml and not n.endswith(".yaml"):
                        continue
                    files.append(os.path.join(d, n))
        elif os.path.isfile(p):
            files.append(p)
    return files


TRICKY_SCALARS = [
    "0644", "0o17", "0x1F", "0b101", "0b-1", "-0b11", "1_000", "+1", ".5", "1e3", "1E3", "1e+3", "1e400",
    "-1e400", ".5e400", "1.", "08", "0_8", "9223372036854775807", "9223372036854775808", "18446744073709551616",
    "-9223372036854775809", "1e16", "1e21", "12345678901234567890", "0x_1F", "._5", ".5_5", "1__0",
    "y", "n", "Y", "N", "yes", "No", "ON", "oFF", "~", "null", "Null", "nULL", ".inf", ".NaN", "-.Inf", "+.inf",
    "2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10", "1:30", "=", "<<", "!!str 1",
    "!!int 1", "!!int \"0644\"", "!!float 1", "!!bool yes", "!!null ''", "!!binary aGVsbG8=", "!!binary '!!'",
    "!!timestamp 2001-12-14", "!!timestamp x", "!!int x", "! 5", "!foo 5", "!!map x", "!<tag:yaml.org,2002:int> 5",
    "'a''b'", "\"\\x41\\u00e9\\U0001F600\"", "\"\\ud800\"", "\"\\N\\_\\L\\P\"", "\"a\\\n  b\"", "[a, b]", "{a: 1}",
    "[a?b]", "[a:b]", "{a:1}", "{\"a\":1}", "[? a : b]", "[a, ]", "{a: 1, }", "*a", "&a x", "|", "|-", "|+", ">",
    ">-", "|2", "- a", "a: b: c", "\"\"", "''", "'", "\"", "#", "@x", "`x", "%x", "\t", "\u00a0x", "x\u00a0",
    "\u2028", "\u0085", "\ufeffx", "\U0001F600", "x #c", "x# c", "-", "--", "---", "...", "? x",
]

KEY_SPELLINGS = ["~", "null", "1", "1.5", "1e3", "1e7", "0.1", "3.14159265358979", "true", "yes", "0644",
                 "9223372036854775808", "\"1\"", "'true'", "*a", "[a]", "{a: 1}", "!!str 1", ".inf", ".Inf", "-.INF",
                 ".nan", "<<", "!!merge <<", "! <<", "\"<<\"", "? x", "2001-12-14", "1e400", "0x10"]


def mutate(text, rng):
    lines = text.split("\n")
    if not lines:
        lines = [""]
    i = rng.randrange(len(lines))
    line = lines[i]
    col = rng.randrange(len(line) + 1)
    op = rng.randrange(40)
    ins = lambda s: line[:col] + s + line[col:]  # noqa: E731
    indent = len(line) - len(line.lstrip(" "))
    content_col = indent
    if op == 0:
        del lines[i]
    elif op == 1:
        lines.insert(i, line)
    elif op == 2:
        lines[i] = " " * rng.choice([1, 2]) + line
    elif op == 3:
        lines[i] = line[min(indent, rng.choice([1, 2])):]
    elif op == 4:
        lines[i] = rng.choice(["\t" + line, ins("\t"), line + "\t", line[:indent] + "\t" + line[indent:]])
    elif op == 5:
        lines[i] = ins(rng.choice(["'", '"', ":", ": ", "- ", "#", " #", "&a ", "*a", "!!str ", "? ", ",", "[", "]",
                                   "{", "}", "%", "@", "`", "|", ">", "!", "&", "*", "\\", "\"\\"]))
    elif op == 6:
        # a block scalar header with chomping/indentation indicators
        m = re.match(r"^(\s*(?:- )?[^:#]+:)\s*(.*)$", line)
        if m:
            hdr = rng.choice(["|", "|-", "|+", ">", ">-", ">+", "|2", "|2-", ">1+", "|-2", "|9"])
            lines[i] = m.group(1) + " " + hdr
            lines.insert(i + 1, " " * (len(m.group(1)) - len(m.group(1).lstrip()) + rng.choice([1, 2, 4])) +
                         (m.group(2) or "text"))
            if rng.random() < 0.3:
                lines.insert(i + 2, "")
        else:
            lines[i] = ins(rng.choice(["|", "|-", ">+"]))
    elif op == 7:
        d = rng.choice(["%YAML 1.1", "%YAML 1.2", "%YAML 2.0", "%TAG !e! tag:yaml.org,2002:", "%TAG ! tag:yaml.org,2002:",
                        "%FOO bar", "%YAML 1.1\n%YAML 1.1"])
        if rng.random() < 0.5:
            lines[:0] = [d, "---"]
        else:
            lines[i:i] = ["...", d, "---"]
        if "!e!" in d:
            j = rng.randrange(len(lines))
            m = re.match(r"^(\s*(?:- )?[^:#]+:)\s+(\S.*)$", lines[j])
            if m:
                lines[j] = m.group(1) + " !e!" + rng.choice(["str", "int", "bool", "float", "null"]) + " " + m.group(2)
    elif op == 8:
        lines.insert(i, rng.choice(["---", "...", "--- ", "--- # c", "... # c", "---x", "--- a", "--- |", "--- >",
                                    "--- {}", "--- []", "--- ~", "--- !!str", "--- &a", "----", "....", " ---"]))
    elif op == 9:
        eol = rng.choice(["\r\n", "\r"])
        if rng.random() < 0.5:
            return eol.join(lines)
        lines[i] = line + "\r"
    elif op == 10:
        if rng.random() < 0.4:
            return "\ufeff" + "\n".join(lines)
        lines[i] = rng.choice(["\ufeff" + line, ins("\ufeff"), line[:indent] + "\ufeff" + line[indent:]])
        if rng.random() < 0.3:
            lines.insert(i, "\ufeff---")
    elif op == 11:
        lines[i] = line + rng.choice([" ", "  ", "\t", " \t "])
    elif op == 12:
        lines[i] = ins(rng.choice(["é", "\u00a0", "\u2028", "\u2029", "\u0085", "\u200b", "\U0001F600", "\ufffd",
                                   "\u202e", "日本", "\x7f", "\x1b", "\ue000"]))
    elif op == 13:
        lines[i] = ins(rng.choice(["x" * 2000, "a " * 3000, "y" * 70000]))
    elif op == 14:
        depth = rng.choice([50, 150, 199, 200, 201, 260, 1200, 12000])
        if rng.random() < 0.5:
            lines.insert(i, line[:indent] + "deep: " + "[" * depth + "]" * depth if ":" in line
                         else "[" * depth + "]" * depth)
        else:
            block = [" " * (indent + 2 * d) + "k%d:" % d for d in range(min(depth, 400))]
            block[-1] += " v"
            lines[i + 1:i + 1] = [line[:indent] + "deep:"] + [" " * 2 + b for b in block]
    elif op in (15, 16, 17, 18):
        # replace a scalar value with a tricky spelling
        m = re.match(r"^(\s*(?:- )?[^:#'\"]+:)\s+(\S.*)$", line)
        sc = rng.choice(TRICKY_SCALARS)
        if m:
            lines[i] = m.group(1) + " " + sc
        else:
            m = re.match(r"^(\s*- )(\S.*)$", line)
            lines[i] = (m.group(1) + sc) if m else ins(sc)
    elif op in (19, 20):
        # replace a key with a tricky key
        m = re.match(r"^(\s*(?:- )?)([^:#'\"\s][^:#]*)(:(\s.*)?)$", line)
        if m:
            lines[i] = m.group(1) + rng.choice(KEY_SPELLINGS) + m.group(3)
        else:
            lines[i] = ins(rng.choice(KEY_SPELLINGS) + ": x")
    elif op == 21:
        # anchors/aliases/merges
        m = re.match(r"^(\s*(?:- )?)([^:#'\"\s][^:#]*):(\s.*)?$", line)
        if m:
            choice = rng.randrange(6)
            if choice == 0:
                lines[i] = m.group(1) + m.group(2) + ": &a" + (m.group(3) or "")
            elif choice == 1:
                lines[i] = m.group(1) + m.group(2) + ": *a"
            elif choice == 2:
                lines.insert(i, line[:indent] + "<<: *a")
            elif choice == 3:
                lines.insert(i, line[:indent] + "<<: [*a, {z: 1}]")
            elif choice == 4:
                lines.insert(i, line[:indent] + "<<: {" + m.group(2).strip() + ": merged}")
            else:
                lines.insert(i, line[:indent] + "*a : aliased-key")
        else:
            lines[i] = ins(rng.choice(["&a ", "*a", "&a", " *a "]))
    elif op == 22:
        # a quoted scalar split over lines, with under-indented / tab / blank continuations
        m = re.match(r"^(\s*(?:- )?[^:#]+:)\s+(\S.*)$", line)
        if m:
            q = rng.choice(['"', "'"])
            cont = rng.choice(["", " ", "  ", "\t", " " * (content_col + 4), "#x", "- x", "---", "...", "a: b"])
            lines[i] = m.group(1) + " " + q + "start"
            lines.insert(i + 1, cont + "end" + q if cont not in ("---", "...") else cont)
            if cont in ("---", "..."):
                lines.insert(i + 2, "end" + q)
    elif op == 23:
        # a plain multi-line scalar continuation at various indents
        m = re.match(r"^(\s*(?:- )?[^:#]+:)\s+(\S.*)$", line)
        if m:
            lines.insert(i + 1, " " * rng.choice([0, indent, indent + 1, indent + 2]) + rng.choice(
                ["more", "- more", "more: x", "#c", "more #c", "  more", "\tmore"]))
    elif op == 24:
        # flow collections spanning lines
        m = re.match(r"^(\s*(?:- )?[^:#]+:)\s+(\S.*)$", line)
        if m:
            lines[i] = m.group(1) + " [" + m.group(2)
            lines.insert(i + 1, " " * rng.choice([0, 1, indent, indent + 2]) + rng.choice(
                ["]", ", x]", "x]", "? k : v]", "{a: b}]", "# c\n]", "- x]"]))
    elif op == 25:
        # remove the final newline / add blank lines at the end
        t = "\n".join(lines)
        return rng.choice([t.rstrip("\n"), t + "\n\n\n", t.rstrip("\n") + " ", t + "#", t.rstrip("\n") + "\n..."])
    elif op == 26:
        # explicit keys
        m = re.match(r"^(\s*)([^:#'\"\s-][^:#]*):(\s.*)?$", line)
        if m:
            lines[i] = m.group(1) + "? " + m.group(2)
            lines.insert(i + 1, m.group(1) + ":" + (m.group(3) or ""))
    elif op == 27:
        # a comment in odd places
        lines[i] = rng.choice([line + " #c", line + "#c", ins(" #c"), "#" + line, line[:indent] + "# " + line[indent:]])
    elif op == 28:
        # swap two lines
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif op == 29:
        # duplicate a key with another value
        m = re.match(r"^(\s*)([^:#'\"\s-][^:#]*):\s+(\S.*)$", line)
        if m:
            lines.insert(i + 1, m.group(1) + m.group(2) + ": " + rng.choice(TRICKY_SCALARS))
    elif op == 30:
        # flow mapping on a line
        m = re.match(r"^(\s*(?:- )?[^:#]+:)\s*(.*)$", line)
        if m:
            lines[i] = m.group(1) + " " + rng.choice(["{a: 1, b: [x, y]}", "{a:1}", "{\"a\":1}", "{a: }", "{? a}",
                                                      "{a, b}", "[a: 1]", "[{a: 1}, b: 2]", "{a: [}", "[a b]",
                                                      "[a\n  b]", "{a: 1 #c\n}", "[a, [b, c], {d: e}]", "[,]", "{,}"])
    elif op == 31:
        # a directive-like or document marker inside a block scalar
        lines.insert(i, line[:indent] + rng.choice(["%YAML 1.1", "--- x", "...x", "---\t", "-- -", "- - - a"]))
    elif op == 32:
        # indentation of a whole block (shift following lines)
        d = rng.choice([-2, -1, 1, 2])
        for j in range(i, min(len(lines), i + rng.randrange(1, 6))):
            lines[j] = (" " * d + lines[j]) if d > 0 else lines[j][min(-d, len(lines[j]) - len(lines[j].lstrip(" "))):]
    elif op == 33:
        # sequence indentation styles
        m = re.match(r"^(\s*)- (.*)$", line)
        if m:
            lines[i] = m.group(1) + rng.choice(["-", "-\t", "-  ", "- - ", "-\n" + m.group(1) + "  "]) + m.group(2)
    elif op == 34:
        # tags on collections and odd tags
        m = re.match(r"^(\s*(?:- )?[^:#]+:)\s*$", line)
        tag = rng.choice(["!!map", "!!seq", "!!str", "!foo", "!", "!!set", "!!omap", "!<x>", "!e!x", "!!binary"])
        lines[i] = (m.group(1) + " " + tag) if m else ins(tag + " ")
    elif op == 35:
        # empty values and nulls in odd places
        m = re.match(r"^(\s*(?:- )?[^:#]+:)\s+(\S.*)$", line)
        if m:
            lines[i] = m.group(1) + rng.choice(["", " ", " ~", " null", " ''", " !!null", " !!str", " &a", " !!str &a"])
    elif op == 36:
        # a value on the next line, less or more indented
        m = re.match(r"^(\s*(?:- )?[^:#]+:)\s+(\S.*)$", line)
        if m:
            lines[i] = m.group(1)
            lines.insert(i + 1, " " * rng.choice([0, indent, indent + 1, indent + 2, indent + 4]) + m.group(2))
    elif op == 37:
        # escapes in double quotes
        m = re.match(r"^(\s*(?:- )?[^:#]+:)\s+(\S.*)$", line)
        if m:
            lines[i] = m.group(1) + ' "' + rng.choice(["\\t", "\\x41", "\\u00e9", "\\U0001F600", "\\ud800", "\\e", "\\0",
                                                       "\\a", "\\/", "\\ ", "\\N", "\\_", "\\L", "\\P", "\\q", "\\x4",
                                                       "\\u12", "\\\n", "a\\\n   b", "a\n\n  b"]) + '"'
    elif op == 38:
        # NUL or other control characters
        lines[i] = ins(rng.choice(["\x00", "\x01", "\x08", "\x0c", "\x0b"]))
    else:
        # combine two mutations
        return mutate(mutate("\n".join(lines), rng), rng)
    return "\n".join(lines)


SEEDS = {
    # hand-written probes of known suspects (each is also a mutant base)
    "alias-key": "a: &k x\n*k : 1\n",
    "null-key": "~: 1\nb: 2\n",
    "empty-key": ": 1\n",
    "uint-key": "9223372036854775808: 1\n",
    "float-key-1e7": "1e7: a\n",
    "float-key-precision": "3.14159265358979: a\n",
    "float-key-inf": ".Inf: a\n",
    "merge-tagged": "b: &b {x: 1}\nc:\n  !!merge <<: *b\n",
    "merge-bang": "b: &b {x: 1}\nc:\n  ! <<: *b\n",
    "merge-order": "b: &b {x: 1}\nc:\n  x: 2\n  <<: *b\n",
    "binary": "a: !!binary aGVsbG8=\n",
    "timestamp-tag-bad": "a: !!timestamp x\n",
    "float-overflow": "a: 1e400\n",
    "dot-underscore": "a: .5_5\n",
    "binary-sign": "a: 0b-101\n",
    "yaml12": "%YAML 1.2\n---\na: 1\n",
    "flow-colon": "a: [b:c]\n",
    "flow-q": "a: [b?c]\n",
    "dup-int-str-key": "1: a\n\"1\": b\n",
    "bom-mid": "a: 1\n\ufeffb: 2\n",
    "bom-doc2": "a: 1\n---\n\ufeffb: 2\n",
    "block-eof": "a: |\n  x",
    "block-keep-eof": "a: |+\n  x\n\n",
    "quoted-under-indent": "a:\n  b: \"x\ny\"\n",
    "tab-after-colon": "a:\tb\n",
    "tab-indent": "a:\n\tb: 1\n",
    "deep-flow": "a: " + "[" * 300 + "]" * 300 + "\n",
    "cr-only": "a: 1\rb: 2\r",
    "nel": "a: x\u0085y\n",
    "doc-end-then-content": "a: 1\n...\nb: 2\n",
    "anchor-self": "a: &a [*a]\n",
    "alias-unknown": "a: *nope\n",
    "set": "!!set {a, b}\n",
    "big-alias": "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                 "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
}


# ---------------------------------------------------------------------------------------------------
# Minimising an example while its signature holds


def signature_of(text, tmpdir, timeout):
    path = os.path.join(tmpdir, "min.yaml")
    with open(path, "wb") as f:
        f.write(text.encode("utf-8", "surrogatepass"))
    try:
        pod = run_podsec([path], timeout).get(path, [])
    except subprocess.TimeoutExpired:
        return None
    data = text.encode("utf-8", "surrogatepass")
    want = oracle_limited(data, timeout)
    if want is None:
        return None
    res = compare(path, data, pod)
    return res[0]["sig"] if res else None


def minimise(text, sig, tmpdir, timeout, budget=400):
    lines = text.split("\n")
    n = 2
    tries = 0
    while len(lines) > 1 and tries < budget:
        chunk = max(1, len(lines) // n)
        removed = False
        for start in range(0, len(lines), chunk):
            cand = lines[:start] + lines[start + chunk:]
            tries += 1
            if cand and signature_of("\n".join(cand), tmpdir, timeout) == sig:
                lines = cand
                n = max(n - 1, 2)
                removed = True
                break
            if tries >= budget:
                break
        if not removed:
            if chunk == 1:
                break
            n = min(len(lines), n * 2)
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------


def check_expected(directory):
    """Re-check testdata/yaml-agreement: the oracle must agree with expected.jsonl (the go-yaml v2 verdicts), and
    podsec is compared with both. Exit status 0 only when podsec agrees everywhere."""
    exp = collections.defaultdict(list)
    with open(os.path.join(directory, "expected.jsonl")) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                exp[r["file"]].append(r)
    paths = [os.path.join(directory, n) for n in sorted(exp)]
    pod = run_podsec(paths, 60)
    oracle_differs, agree, disagree = 0, 0, 0
    for name in sorted(exp):
        path = os.path.join(directory, name)
        with open(path, "rb") as fh:
            data = fh.read()
        want = oracle(data)
        rows = sorted(exp[name], key=lambda r: r["doc"])
        # the oracle against expected.jsonl
        note = ""
        if any(w[0] in ("uncertain", "ambiguous") for w in want):
            note = " (oracle cannot tell: %s; expected.jsonl is from go-yaml v2's source)" % want[-1][1]
        elif len(want) != len(rows) or any(
            (w[0] == "json") != ("json" in r)
            or (w[0] == "json" and diff(go_canon(w[1]), load_podsec_json(json.dumps(r["json"]))))
            for w, r in zip(want, rows)
        ):
            oracle_differs += 1
            note = " ORACLE DIFFERS from expected.jsonl: %s" % [(w[0], w[1]) for w in want]
        # podsec against expected.jsonl
        got = [p for p in pod.get(path, []) if p.get("doc") is not None]
        bad = None
        for r in rows:
            p = next((g for g in got if g["doc"] == r["doc"]), None)
            if p is None:
                bad = "doc %d missing" % r["doc"]
            elif "json" in r and "error" in p:
                bad = "doc %d: rejected (%s)" % (r["doc"], p["error"])
            elif "error" in r and "error" not in p:
                bad = "doc %d: accepted, go-yaml says %r" % (r["doc"], r["error"])
            elif "json" in r:
                d = diff(load_podsec_json(json.dumps(r["json"])), p["json_value"])
                if d:
                    bad = "doc %d: %s at %s: go-yaml %r, podsec %r" % (r["doc"], d[0], d[1], d[2], d[3])
            if bad:
                break
            if "error" in r:
                break  # the stream ends at go-yaml's first error
        if bad is None and len(got) > len(rows) and "error" not in rows[-1]:
            bad = "podsec reads %d documents, go-yaml %d" % (len(got), len(rows))
        if bad:
            disagree += 1
            print("DISAGREES %-38s %s%s" % (name, bad, note))
        else:
            agree += 1
            print("agrees    %-38s%s" % (name, note))
    print("%d cases: podsec agrees with go-yaml v2 on %d, disagrees on %d; the oracle differs from expected.jsonl on %d"
          % (len(exp), agree, disagree, oracle_differs))
    return 1 if oracle_differs or disagree else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="*")
    ap.add_argument("--mutants", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per file (oracle and podsec)")
    ap.add_argument("--out", default="/tmp/yaml-diff")
    ap.add_argument("--no-minimise", action="store_true")
    ap.add_argument("--expected", help="re-check a testdata/yaml-agreement directory and exit")
    args = ap.parse_args()
    if args.expected:
        return check_expected(args.expected)
    if not os.path.exists(podsec_bin()):
        sys.exit("no %s: run `cargo build --release` (or set PODSEC)" % podsec_bin())
    files = collect(args.paths or DEFAULT_PATHS)
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="ydiff-")
    rng = random.Random(args.seed)

    inputs = []  # (name, bytes, origin)
    bases = []
    for p in files:
        with open(p, "rb") as f:
            data = f.read()
        inputs.append((p, data, "file"))
        try:
            text = data.decode("utf-8")
            if 0 < len(text) < 200000:
                bases.append((p, text))
        except UnicodeDecodeError:
            pass
    for name, text in sorted(SEEDS.items()):
        inputs.append(("seed:" + name, text.encode("utf-8"), "seed"))
        bases.append(("seed:" + name, text))
    for k in range(args.mutants):
        base_name, text = bases[rng.randrange(len(bases))]
        m = mutate(text, rng)
        if rng.random() < 0.35:
            m = mutate(m, rng)
        inputs.append(("mutant:%d:%s" % (k, base_name), m.encode("utf-8", "surrogatepass"), "mutant"))

    # write every input that is not a real file to the work dir, so podsec reads them all the same way
    path_of = {}
    for idx, (name, data, origin) in enumerate(inputs):
        if origin == "file":
            path_of[name] = name
        else:
            p = os.path.join(work, "%06d.yaml" % idx)
            with open(p, "wb") as f:
                f.write(data)
            path_of[name] = p
    print("inputs: %d files, %d seeds, %d mutants" % (
        sum(1 for i in inputs if i[2] == "file"), len(SEEDS), args.mutants), file=sys.stderr)

    pod = podsec_many([path_of[n] for n, _, _ in inputs], args.timeout)
    print("podsec done", file=sys.stderr)

    stats = collections.Counter()
    causes = collections.OrderedDict()
    all_rows = []
    for name, data, origin in inputs:
        stats[origin] += 1
        p = path_of[name]
        lines = pod.get(p, [])
        if any(x.get("timeout") for x in lines):
            row = {"class": "podsec-timeout", "sig": "podsec-timeout", "doc": 0}
            res = [row]
        else:
            want = oracle_limited(data, args.timeout)
            if want is None:
                stats["oracle-timeout"] += 1
                continue
            stats["documents"] += len(want)
            res = compare(p, data, lines)
        for r in res:
            r["input"] = name
            r["origin"] = origin
            all_rows.append(r)
            c = causes.setdefault(r["sig"], {"count": 0, "by": collections.Counter(), "example": None, "row": r,
                                             "others": []})
            c["count"] += 1
            c["by"][origin] += 1
            if c["example"] is None or len(data) < len(c["example"]):
                c["example"], c["row"] = data, r
            c["others"] = sorted(c["others"] + [data], key=len)[:4]
    with open(os.path.join(args.out, "disagreements.jsonl"), "w") as f:
        for r in all_rows:
            f.write(json.dumps(r, default=str) + "\n")

    exdir = os.path.join(args.out, "examples")
    shutil.rmtree(exdir, ignore_errors=True)
    os.makedirs(exdir)
    real = 0
    report = ["# yaml-diff: podsec vs go-yaml v2 (via libyaml events)", "",
              "inputs: %d files, %d seeds, %d mutants (seed %d); %d documents compared; oracle timeouts %d" % (
                  stats["file"], stats["seed"], stats["mutant"], args.seed, stats["documents"], stats["oracle-timeout"]),
              "", "| # | class | signature | count (file/seed/mutant) | example |", "|---|---|---|---|---|"]
    for k, (sig, c) in enumerate(sorted(causes.items(), key=lambda kv: -kv[1]["count"])):
        text = c["example"].decode("utf-8", "surrogatepass")
        if not args.no_minimise and c["row"]["class"] not in ("uncertain", "ambiguous", "podsec-timeout"):
            text = minimise(text, sig, work, args.timeout)
        fname = "%02d-%s.yaml" % (k, re.sub(r"[^A-Za-z0-9]+", "-", sig)[:60].strip("-"))
        with open(os.path.join(exdir, fname), "wb") as f:
            f.write(text.encode("utf-8", "surrogatepass"))
        for j, other in enumerate(c["others"][1:]):
            with open(os.path.join(exdir, fname[:-5] + ".more%d.txt" % j), "wb") as f:
                f.write(other[:4000])
        if c["row"]["class"] not in ("uncertain", "ambiguous"):
            real += 1
        by = "/".join(str(c["by"][o]) for o in ("file", "seed", "mutant"))
        report.append("| %d | %s | `%s` | %d (%s) | examples/%s: %s |" % (
            k, c["row"]["class"], sig, c["count"], by, fname, json.dumps(text[:120])))
    report += ["", "Known go-yaml v2 vs libyaml differences applied by the oracle:", ""]
    report += ["- %s: %s" % kv for kv in GO_YAML_V2_VS_LIBYAML.items()]
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write("\n".join(report) + "\n")
    print("\n".join(report))
    shutil.rmtree(work, ignore_errors=True)
    return 1 if real else 0


if __name__ == "__main__":
    sys.setrecursionlimit(200000)
    threading.stack_size(512 * 1024 * 1024)
    result = []
    t = threading.Thread(target=lambda: result.append(main()))
    t.start()
    t.join()
    sys.exit(result[0] if result else 2)
