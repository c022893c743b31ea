"""Benchmark: `import sky` and parsing task YAMLs, stix vs SkyPilot 0.14.1.

Usage: python benches/spec_bench.py --skypilot-python /path/to/venv/bin/python
(the other venv has `pip install skypilot==0.14.1`; without it only stix runs).
Reports best-of-N wall times and the ratios; paste the output into
docs/benchmarks.md.
"""
import argparse
import pathlib
import subprocess
import sys
import time

CORPUS = pathlib.Path(__file__).parent.parent / 'tests' / 'fixtures' / 'corpus'
PARSE = '''
import pathlib, sys, time
import sky
paths = sorted(pathlib.Path(sys.argv[1]).glob('*.yaml'))
ok = []
for p in paths:
    try:
        sky.Task.from_yaml(str(p)); ok.append(p)
    except Exception:
        pass
t = time.perf_counter()
for _ in range(int(sys.argv[2])):
    for p in ok:
        sky.Task.from_yaml(str(p)).to_yaml_config()
print((time.perf_counter() - t) / (int(sys.argv[2]) * len(ok)))
'''


def best_import(python: str, runs: int) -> float:
    best = float('inf')
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([python, '-c', 'import sky'], check=True)
        best = min(best, time.perf_counter() - t)
    return best


def per_task(python: str, reps: int) -> float:
    out = subprocess.run([python, '-c', PARSE, str(CORPUS), str(reps)],
                         check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--skypilot-python')
    ap.add_argument('--runs', type=int, default=5)
    args = ap.parse_args()
    rows = [('stix', sys.executable, 20)]
    if args.skypilot_python:
        rows.append(('skypilot 0.14.1', args.skypilot_python, 1))
    results = {}
    for name, py, reps in rows:
        results[name] = (best_import(py, args.runs), per_task(py, reps))
        imp, parse = results[name]
        print(f'{name:16s} import {imp * 1000:8.1f} ms   parse+dump '
              f'{parse * 1e6:9.1f} us/task')
    if len(results) == 2:
        (si, sp), (ki, kp) = results['stix'], results['skypilot 0.14.1']
        print(f'ratios: import {ki / si:.0f}x faster, parse {kp / sp:.0f}x faster')


if __name__ == '__main__':
    main()
