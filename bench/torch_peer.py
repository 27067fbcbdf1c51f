"""PyTorch (native, one thread) side of `npm run bench -- --torch`.

usage: python3 bench/torch_peer.py WORKLOAD [--quick]
Builds the workload exactly as bench/*.ts defines it for simdgrad, warms up, times it in cycles of
calls and prints one JSON line: {"seconds": median seconds per call, "samples": n, "rme": percent}.
The bench runs this once per round, alternating with simdgrad's rounds, so both see the same machine.
"""
import ctypes
import json
import os
import statistics
import sys
import time

# One thread everywhere: torch's intra-op pool and the BLAS under it (Debian's torch calls the
# system libblas.so.3; with only the reference BLAS installed it is ~10x slower than with OpenBLAS,
# so the result names the library it loaded).
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import torch

torch.set_num_threads(1)
torch.manual_seed(0)
F = torch.nn.functional


def training_step(model, loss_fn):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        loss_fn().backward()
        opt.step()

    return step


def mlp_train():  # bench/mlp.ts: 784-256-256-10 ReLU, batch 128, Adam 1e-3
    sizes = [784, 256, 256, 10]
    layers = []
    for i in range(1, len(sizes)):
        layers.append(torch.nn.Linear(sizes[i - 1], sizes[i]))
        if i + 1 < len(sizes):
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    x, y = torch.randn(128, 784), torch.randint(0, 10, (128,))
    return training_step(model, lambda: F.cross_entropy(model(x), y))


def lenet_train():  # bench/lenet.ts: LeNet-5, batch 64, Adam 1e-3
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    x, y = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))
    return training_step(model, lambda: F.cross_entropy(model(x), y))


def transformer_train():  # bench/sequence.ts TRANSFORMER
    layer = torch.nn.TransformerEncoderLayer(128, 4, dim_feedforward=512, dropout=0.0, batch_first=True)
    model = torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    x, y = torch.randn(32, 64, 128), torch.randint(0, 128, (32 * 64,))
    return training_step(model, lambda: F.cross_entropy(model(x).reshape(32 * 64, 128), y))


class LstmClassifier(torch.nn.Module):  # bench/sequence.ts LSTM
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(64, 256, 2)
        self.head = torch.nn.Linear(256, 10)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[-1])


def lstm_train():
    model = LstmClassifier()
    x, y = torch.randn(50, 64, 64), torch.randint(0, 10, (64,))
    return training_step(model, lambda: F.cross_entropy(model(x), y))


WORKLOADS = {"mlp-train": mlp_train, "lenet-train": lenet_train, "transformer-train": transformer_train, "lstm-train": lstm_train}


def gemm(spec):  # bench/gemm.ts: "gemm:transA:transB:m:n:k", op(A) [m, k] times op(B) [k, n]
    trans_a, trans_b, m, n, k = (int(v) for v in spec.split(":")[1:])
    a = torch.randn(k, m) if trans_a else torch.randn(m, k)
    b = torch.randn(n, k) if trans_b else torch.randn(k, n)
    # transposed views: the BLAS call gets the transpose flags, as simdgrad's GEMM does
    op_a, op_b = (a.t() if trans_a else a), (b.t() if trans_b else b)
    return lambda: torch.matmul(op_a, op_b)


def measure(run, quick):
    # As bench/harness.ts: a call over 1 s is timed once more after its warm-up call; otherwise
    # warm-up, then samples of >= 50 ms cycles for about 1 s (0.25 s quick).
    t0 = time.perf_counter(); run(); first = time.perf_counter() - t0
    if first > 1:
        t0 = time.perf_counter(); run()
        return {"seconds": time.perf_counter() - t0, "samples": 1, "rme": None}
    spent, calls = first, 1
    while (calls < (4 if quick else 10) or spent < (0.1 if quick else 0.3)) and spent < 2:
        t0 = time.perf_counter(); run(); spent += time.perf_counter() - t0; calls += 1
    per_call = spent / calls
    cycle = max(1, int(0.05 / per_call))
    samples, total, budget = [], 0.0, 0.25 if quick else 1.0
    while total < budget or len(samples) < (3 if quick else 5):
        t0 = time.perf_counter()
        for _ in range(cycle):
            run()
        dt = time.perf_counter() - t0
        samples.append(dt / cycle); total += dt
    mean = statistics.fmean(samples)
    rme = 100 * 1.96 * statistics.stdev(samples) / len(samples) ** 0.5 / mean if len(samples) > 1 else None
    return {"seconds": statistics.median(samples), "samples": len(samples), "rme": rme}


if __name__ == "__main__":
    name = sys.argv[1]
    if name.startswith("gemm:"):
        run = gemm(name)
    elif name in WORKLOADS:
        run = WORKLOADS[name]()
    else:
        sys.exit(f"torch_peer: no PyTorch definition of {name} (have gemm:tA:tB:m:n:k, {', '.join(WORKLOADS)})")
    result = measure(run, "--quick" in sys.argv)
    result["torch"] = torch.__version__
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line}
    result["blas"] = ", ".join(sorted(p.split("/")[-1] for p in paths)) or "unknown"
    # The kernels OpenBLAS's DYNAMIC_ARCH picked for this CPU: 0.3.21 does not know every newer
    # core (an Emerald Rapids Xeon falls back to Prescott, SSE3), and OPENBLAS_CORETYPE overrides it.
    for path in sorted(p for p in paths if "openblas" in p):
        corename = getattr(ctypes.CDLL(path), "openblas_get_corename", None)
        if corename:
            corename.restype = ctypes.c_char_p
            result["blas"] += f" (OpenBLAS core {corename().decode()})"
            break
    result["cpu_capability"] = os.environ.get("ATEN_CPU_CAPABILITY", "default")
    print(json.dumps(result))
