"""alloc_heavy.py — an allocation-heavy Python workload for `make bench` (issues 10 and 11).

Run as `PYTHONMALLOC=malloc /usr/bin/python3 bench/alloc_heavy.py [ROUNDS]` so that every
object CPython creates goes through malloc/free: dicts of strings built and dropped, string
formatting, joins and splits, list appends and slices. About 1-2 s bare at the default
ROUNDS on the project's 2-core machine. Prints one checksum line at the end, nothing else.
"""
import sys


def build_records(round_no, n):
    """A list of n small dicts of freshly formatted strings (many short-lived allocations)."""
    records = []
    for i in range(n):
        key = "user-%d-%d" % (round_no, i)
        records.append({
            "id": key,
            "name": f"name {i:05d}",
            "tags": ["t%d" % (i % 7), "g%d" % (i % 13)],
            "path": "/".join(("srv", str(round_no), key)),
        })
    return records


def churn(records):
    """Re-keys, slices and joins the records, dropping the intermediates."""
    index = {r["id"]: r for r in records}
    total = 0
    for r in records[::3]:
        parts = r["path"].split("/")
        total += len(parts[-1]) + len(index[r["id"]]["name"])
    half = records[: len(records) // 2]
    text = ",".join(r["name"] for r in half)
    return total + len(text) + len(index)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    checksum = 0
    keep = []  # a few rounds stay alive a while, so the heap is not empty
    for round_no in range(rounds):
        records = build_records(round_no, 4000)
        checksum += churn(records)
        keep.append(records[::50])
        if len(keep) > 8:
            del keep[:4]
    print("alloc_heavy: %d rounds, checksum %d" % (rounds, checksum))


if __name__ == "__main__":
    main()
