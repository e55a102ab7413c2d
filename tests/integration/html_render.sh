#!/bin/bash
# html_render.sh — the HTML report renders offline in headless Chromium: the page of the
# golden run (tests/golden/gen_series.c) is screenshot and the PNG must have the window's
# size and real content (a blank page compresses to a few KiB). Skips without chromium.
set -u
command -v chromium >/dev/null || { echo "skip: chromium not installed"; exit 77; }
command -v python3 >/dev/null || { echo "skip: python3 not installed"; exit 77; }
[ -x "$LS_CLI" ] && [ -f "$LS_BUILD/analyzer.a" ] || { echo "skip: analyzer not built"; exit 77; }
cd "$LS_TMP" || exit 1
${CC:-cc} -std=gnu11 -O1 -I"$LS_ROOT/include" -I"$LS_ROOT/analyzer/load" -o gen_series "$LS_ROOT/tests/golden/gen_series.c" \
    "$LS_BUILD/analyzer.a" -ldw -lelf -lyaml -ljansson -lstdc++ -lm || exit 1
./gen_series run || exit 1
"$LS_CLI" report run --format html -o report.html || exit 1
if grep -qiE '<script|src=|href=|url\(' report.html; then
    echo "FAIL: the report loads something from outside itself"; exit 1
fi
profile=$(mktemp -d "$LS_TMP/chromium.XXXXXX")
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --screenshot="$LS_TMP/report.png" --window-size=1280,2000 \
    "file://$LS_TMP/report.html" >chromium.log 2>&1
[ -s report.png ] || { echo "FAIL: no screenshot"; tail -n 5 chromium.log; exit 1; }
python3 - report.png <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", data[16:24])
assert (w, h) == (1280, 2000), "size %dx%d" % (w, h)
assert len(data) > 40000, "only %d bytes: a blank page?" % len(data)
# Decode the image (undoing PNG's row filters) and count the distinct colours in one row of
# every 25: charts, badges and text give many; a blank or error page a handful.
idat = b"".join(data[i + 8:i + 8 + struct.unpack(">I", data[i:i + 4])[0]]
                for i in range(8, len(data) - 8) if data[i + 4:i + 8] == b"IDAT")
raw = zlib.decompress(idat)
assert data[24] == 8, "bit depth %d" % data[24]
bpp = {2: 3, 6: 4}[data[25]]
stride = w * bpp
prev = bytearray(stride)
colours = set()
for y in range(h):
    ft, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]
        c = prev[x - bpp] if x >= bpp else 0
        if ft == 1: line[x] = (line[x] + a) & 255
        elif ft == 2: line[x] = (line[x] + b) & 255
        elif ft == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif ft == 4:
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    if y % 25 == 0:
        colours.update(bytes(line[x:x + 3]) for x in range(0, stride, bpp))
    prev = line
assert len(colours) > 20, "only %d colours: the page did not render" % len(colours)
print("rendered: %dx%d, %d bytes, %d colours sampled" % (w, h, len(data), len(colours)))
PY
