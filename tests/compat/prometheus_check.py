#!/usr/bin/python3
# Parses a Prometheus text exposition with the reference client's parser (Debian python3-prometheus-client) and prints the families as JSON.
#
# Usage: prometheus_check.py URL      fetch URL (10 s timeout) and parse it
#        prometheus_check.py -        parse standard input
# Output: {"content_type": ..., "families": [{"name", "type", "documentation",
#          "samples": [{"name", "labels", "value"}]}]}; NaN and infinities as the strings "NaN", "+Inf", "-Inf".
# A parse error exits 1 with the parser's message on stderr, so a test sees exactly what a Prometheus client rejects.
# The parser names a counter family without its "_total" suffix (OpenMetrics style); samples keep their names.
import json
import math
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def value(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return v


def main():
    if len(sys.argv) != 2:
        print(__doc__ or "usage: prometheus_check.py URL|-", file=sys.stderr)
        return 2
    content_type = None
    if sys.argv[1] == "-":
        text = sys.stdin.read()
    else:
        with urllib.request.urlopen(sys.argv[1], timeout=10) as response:
            content_type = response.headers.get("Content-Type")
            text = response.read().decode("utf-8")
    try:
        families = [
            {
                "name": f.name,
                "type": f.type,
                "documentation": f.documentation,
                "samples": [{"name": s.name, "labels": s.labels, "value": value(s.value)} for s in f.samples],
            }
            for f in text_string_to_metric_families(text)
        ]
    except Exception as e:  # the parser raises ValueError and friends; any failure is a rejected exposition
        print(f"prometheus_client rejected the exposition: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    json.dump({"content_type": content_type, "families": families}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
