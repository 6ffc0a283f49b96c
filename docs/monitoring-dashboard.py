#!/usr/bin/env python3
"""Draws docs/monitoring-dashboard.png from the chart's dashboard JSON (Grafana cannot run here).

The layout (gridPos), titles and queries are the dashboard's own; the curves and numbers are
illustrative, a 3-broker cluster with one broker stopped near the end and a burst of slow
consumers. This script lays out drawing primitives; docs/DrawPrimitives.java (JDK only, Java2D)
turns them into the PNG:  python3 docs/monitoring-dashboard.py
"""
import json, math, os, re, subprocess, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
dash = json.load(open(os.path.join(HERE, "..", "helm", "nats-operator", "dashboards", "nats-brokers.json")))
CW, RH = 40, 28                       # pixels per grid column (24 wide) and per grid row
W = 24 * CW + 20
H = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in dash["panels"]) * RH + 60
COLORS = ["#73bf69", "#f2cc0c", "#5794f2", "#ff780a", "#b877d9"]
STAT = {1: ["3 / 3"], 2: ["1", "1", "0"], 3: ["0"], 4: ["318 d", "30 d"]}

def esc(t):
    return t.replace("\n", " ")

def series(pid, i, n=60):
    """An illustrative curve per panel and series."""
    out = []
    for k in range(n):
        t = k / (n - 1)
        if pid == 5:   v = 0 if (i == 2 and t > 0.8) else 2           # route peers (the 3rd broker stops)
        elif pid == 6: v = 2000 + 300 * math.sin(6 * t + i) + 100 * i   # connections
        elif pid == 7: v = 4 if (i == 0 and 0.45 < t < 0.55) else 0    # slow consumers
        elif pid == 8: v = 280e6 + 20e6 * math.sin(4 * t + i)           # memory
        elif pid == 9: v = (k % 10) * 3                                  # sync age, saw-tooth
        else:          v = 2400 + (k // 20)                              # admitted certificates
        out.append(v)
    return out

def rect(x, y, w, h, fill, stroke="none"):
    return f"rect {x:.0f} {y:.0f} {w:.0f} {h:.0f} {fill} {stroke}"

def text(x, y, size, color, t, bold=False, anchor="start"):
    return f"text {x:.0f} {y:.0f} {size} {'bold' if bold else 'plain'} {anchor} {color} {esc(t)}"

svg = [f"size {W} {H}", rect(0, 0, W, H, "#111217"),
       text(12, 28, 18, "#d8d9da", dash["title"]),
       text(W - 12, 28, 12, "#8e8e8e", "namespace: All   natscluster: All   (illustrative data)", anchor="end")]
for p in dash["panels"]:
    g = p["gridPos"]
    x, y, w, h = 10 + g["x"] * CW, 44 + g["y"] * RH, g["w"] * CW - 8, g["h"] * RH - 8
    svg.append(rect(x, y, w, h, "#181b1f", "#2c3235"))
    svg.append(text(x + 8, y + 18, 13, "#d8d9da", p["title"], bold=True))
    metrics = sorted({m for t in p["targets"] for m in re.findall(r"natscluster_[a-z_]+", t["expr"])})
    svg.append(text(x + 8, y + h - 8, 10, "#6e7077", ", ".join(metrics)))
    if p["type"] == "stat":
        vals = STAT.get(p["id"], ["-"])
        cw = w / len(vals)
        for i, v in enumerate(vals):
            color = "#f2495c" if v == "0" else COLORS[0]
            svg.append(text(x + cw * i + cw / 2, y + h / 2 + 14, 30, color, v, anchor="middle"))
        continue
    px, py, pw, ph = x + 40, y + 28, w - 52, h - 52
    for k in range(4):
        gy = py + ph * k / 3
        svg.append(f"poly #24272b {px:.0f},{gy:.0f} {px + pw:.0f},{gy:.0f}")
    lines = [series(p["id"], i) for i in range(3 if p["id"] in (5, 6, 7, 8) else 1)]
    hi = max(max(l) for l in lines) or 1
    for i, l in enumerate(lines):
        pts = " ".join(f"{px + pw * k / (len(l) - 1):.1f},{py + ph - ph * v / (hi * 1.1):.1f}" for k, v in enumerate(l))
        svg.append(f"poly {COLORS[i]} {pts}")
        svg.append(text(px + pw - 6 - 70 * i, py + 10, 10, COLORS[i], "broker-%d" % i if len(lines) > 1 else "choria/broker", anchor="end"))
with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
    f.write("\n".join(svg) + "\n")
out = os.path.join(HERE, "monitoring-dashboard.png")
subprocess.run(["java", os.path.join(HERE, "DrawPrimitives.java"), f.name, out], check=True)
os.unlink(f.name)
print(out, os.path.getsize(out), "bytes")
