#!/usr/bin/env python3
"""numpy baseline for Quiver's benchmark harness (benchmarks/src/baselines/numpy.ts runs it).

Loads the same base and query vectors as the TypeScript side (.npy files), then measures exact
top-k search the way a numpy user writes it:

  single   one query at a time: scores = X @ q, np.argpartition, then sort of the top k (latency)
  loop     the batch as a loop of single queries (throughput)
  gemm     the batch as one GEMM  S = Q @ X.T, then argpartition + sort per row (throughput)

Scores are higher-is-better as in Quiver: dot, cosine (rows and queries normalized; the query
normalization is inside the timed region, as in Quiver), l2 = -(|x|^2 - 2 x.q) with |x|^2
precomputed at build time (the constant |q|^2 does not change the ranking).

The parent sets OPENBLAS_NUM_THREADS=1 (and the MKL/OMP equivalents) so BLAS uses one thread.
Prints one JSON object on stdout.
"""
import argparse
import json
import os
import resource
import time

import numpy as np


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", required=True, help=".npy float32 (n, dim)")
    p.add_argument("--queries", required=True, help=".npy float32 (m, dim)")
    p.add_argument("--metric", choices=["dot", "cosine", "l2"], required=True)
    p.add_argument("--k", type=int, required=True)
    p.add_argument("--single", type=int, required=True, help="single queries timed for latency")
    p.add_argument("--batch", type=int, required=True, help="queries in the throughput batch")
    p.add_argument("--repeats", type=int, default=3, help="timed runs of each batch (median kept)")
    p.add_argument("--warmup", type=int, default=5)
    return p.parse_args()


class Searcher:
    def __init__(self, base, metric):
        self.metric = metric
        if metric == "cosine":
            base = base / np.linalg.norm(base, axis=1, keepdims=True)
        self.X = np.ascontiguousarray(base, dtype=np.float32)
        # For l2, rank by |x|^2 - 2 x.q (the query's own norm is a constant per query).
        self.sq_norms = np.einsum("ij,ij->i", self.X, self.X) if metric == "l2" else None

    def prepare(self, q):
        if self.metric == "cosine":
            return q / np.linalg.norm(q, axis=-1, keepdims=True)
        return q

    def scores(self, dots):
        """Higher-is-better scores from inner products (1-D for one query, 2-D for a batch)."""
        if self.metric == "l2":
            return 2.0 * dots - self.sq_norms
        return dots

    def single(self, q, k):
        s = self.scores(self.X @ self.prepare(q))
        top = np.argpartition(s, -k)[-k:]
        return top[np.argsort(-s[top], kind="stable")]

    def gemm(self, Q, k):
        S = self.scores(self.prepare(Q) @ self.X.T)
        top = np.argpartition(S, -k, axis=1)[:, -k:]
        order = np.argsort(-np.take_along_axis(S, top, axis=1), axis=1, kind="stable")
        return np.take_along_axis(top, order, axis=1)


def timed(fn):
    start = time.perf_counter_ns()
    result = fn()
    return (time.perf_counter_ns() - start) / 1e6, result


def summarize(latencies):
    """p50 / p99 by nearest rank, as benchmarks/src/stats.ts computes them; None without samples."""
    if not latencies:
        return None
    lat = np.sort(np.array(latencies))
    rank = lambda q: lat[max(0, int(np.ceil(q * len(lat))) - 1)]
    return {"samples": len(lat), "p50Ms": float(rank(0.5)), "p99Ms": float(rank(0.99)), "meanMs": float(lat.mean())}


def blas_name():
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # older numpy: no dict mode
        return "unknown"


def main():
    args = parse_args()
    k = args.k
    build_ms, searcher = timed(lambda: Searcher(np.load(args.base), args.metric))
    queries = np.ascontiguousarray(np.load(args.queries), dtype=np.float32)
    n, dim = searcher.X.shape
    m = queries.shape[0]

    for i in range(args.warmup):
        searcher.single(queries[i % m], k)
    latencies = []
    for i in range(args.single):
        ms, _ = timed(lambda: searcher.single(queries[i % m], k))
        latencies.append(ms)

    batch = queries[: args.batch]
    loop_runs = []
    for _ in range(args.repeats):
        ms, _ = timed(lambda: [searcher.single(q, k) for q in batch])
        loop_runs.append(ms)

    searcher.gemm(batch, k)  # warm-up
    gemm_runs = []
    ids = None
    for _ in range(args.repeats):
        ms, ids = timed(lambda: searcher.gemm(batch, k))
        gemm_runs.append(ms)

    loop_ms = float(np.median(loop_runs))
    gemm_ms = float(np.median(gemm_runs))
    print(json.dumps({
        "numpy": np.__version__,
        "blas": blas_name(),
        "blasThreads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "n": int(n),
        "dim": int(dim),
        "metric": args.metric,
        "k": k,
        "buildMs": build_ms,
        "bytesPerVector": (searcher.X.nbytes + (searcher.sq_norms.nbytes if searcher.sq_norms is not None else 0)) / n,
        "single": summarize(latencies),
        "loop": {"queries": int(batch.shape[0]), "medianMs": loop_ms, "qps": batch.shape[0] * 1000 / loop_ms},
        "gemm": {"queries": int(batch.shape[0]), "medianMs": gemm_ms, "qps": batch.shape[0] * 1000 / gemm_ms},
        "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "ids": ids.tolist(),
    }))


if __name__ == "__main__":
    main()
