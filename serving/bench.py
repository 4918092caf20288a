"""`python -m serving.bench --bundle PATH`: in-process latency of the inference hot path
(basket_features + model_inputs + session.run), for one basket and for a batch. Figures only."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from retail_assets.contract.baskets import basket_features
from retail_assets.contract.bundle import Bundle, load_bundle
from retail_assets.contract.encoding import model_inputs
from retail_assets.contract.features import CATEGORICAL_FEATURES


def random_request(bundle: Bundle, n_baskets: int, lines_per_basket: int,
                   rng: np.random.Generator) -> tuple[dict, dict]:
    """Baskets over the bundle's own products (plus a few unknown ones)."""
    codes = np.concatenate([bundle.products.prod_codes, ["PRD9999990", "PRD9999991"]])
    ids = np.arange(n_baskets, dtype=np.int64)
    n_lines = n_baskets * lines_per_basket
    baskets = {
        "basket_id": ids,
        "shop_weekday": rng.integers(1, 8, n_baskets),
        "shop_hour": rng.integers(0, 24, n_baskets),
        **{name: rng.choice(np.array(values, dtype=object), n_baskets)
           for name, values in CATEGORICAL_FEATURES.items()},
    }
    lines = {
        "basket_id": np.repeat(ids, lines_per_basket),
        "prod_code": rng.choice(codes, n_lines),
        "quantity": rng.integers(1, 4, n_lines),
        "spend": rng.gamma(2.0, 1.5, n_lines),
    }
    return baskets, lines


def timings(fn: Callable[[], object], iterations: int) -> np.ndarray:
    fn()  # warm up
    out = np.empty(iterations)
    for i in range(iterations):
        start = time.perf_counter()
        fn()
        out[i] = time.perf_counter() - start
    return out


def measure(bundle: Bundle, n_baskets: int, lines_per_basket: int, iterations: int,
            repeats: int, seed: int) -> dict[str, tuple[float, float]]:
    rng = np.random.default_rng(seed)
    baskets, lines = random_request(bundle, n_baskets, lines_per_basket, rng)
    feeds = model_inputs(basket_features(baskets, lines, bundle.products), bundle.spec)

    def features_and_inputs() -> dict[str, np.ndarray]:
        return model_inputs(basket_features(baskets, lines, bundle.products), bundle.spec)

    def run_only() -> object:
        return bundle.session.run(None, feeds)

    def end_to_end() -> object:
        return bundle.session.run(None, features_and_inputs())

    results = {}
    for name, fn in (("total", end_to_end), ("features+inputs", features_and_inputs),
                     ("session.run", run_only)):
        p50s, p99s = [], []
        for _ in range(repeats):
            t = timings(fn, iterations)
            p50s.append(np.percentile(t, 50))
            p99s.append(np.percentile(t, 99))
        results[name] = (float(np.median(p50s)), float(np.median(p99s)))
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m serving.bench", description=__doc__)
    parser.add_argument("--bundle", required=True, help="bundle directory (path or s3:// URI)")
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime intra-op threads")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--lines", type=int, default=20, help="lines per basket")
    parser.add_argument("--batch", type=int, default=1000, help="baskets in the batch case")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    bundle = load_bundle(args.bundle, onnx_threads=args.threads)
    print(f"bundle {bundle.version} ({bundle.model_name}, {len(bundle.spec.encoded_names())} "
          f"features, {len(bundle.products)} products), onnx threads {args.threads}, "
          f"medians over {args.repeats} repeats")
    cases = [(1, 2000), (args.batch, 50)]
    for n_baskets, iterations in cases:
        results = measure(bundle, n_baskets, args.lines, iterations, args.repeats, args.seed)
        print(f"\n{n_baskets} basket(s) x {args.lines} lines, {iterations} iterations per repeat")
        for name, (p50, p99) in results.items():
            print(f"  {name:<16} p50 {p50 * 1e3:8.3f} ms   p99 {p99 * 1e3:8.3f} ms")


if __name__ == "__main__":
    main()
