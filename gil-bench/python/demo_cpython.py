"""CPython's side of `cargo xtask demo`: the demo's scenarios, sized by the demo.

The Rust demo writes this file into its report folder and runs it once per scenario:

    python3 demo_cpython.py <scenario> key=value ...

It prints one result per line, `name value [value ...]`, which the demo parses; nothing else
goes to stdout. The scenarios mirror anchors/ (a_cpu_bound.py, b_io_bound.py,
c_convoy.py, d_primitives.py, e_gil_sharing.py), cut down to the demo's time budget and
parameterised so both sides do the same amount of work:

    cpu     countdown split over 1, 2, 4 threads and processes vs sequential (a_cpu_bound.py)
    io      sleeps and loopback TCP requests over 1, 2, 4 threads        (b_io_bound.py)
    convoy  socketpair ping-pong alone and next to 1 and 2 spinners      (c_convoy.py)
    share   K CPU-bound threads sharing the GIL: Jain, waits, switches   (e_gil_sharing.py)
    sweep   the sharing and convoy figures at several switch intervals
    load    one round of the convoy and sharing figures, run while the caller keeps other
            processes busy (the harness and the demo's load scenario)
    lock    uncontended Lock acquire + release                           (d_primitives.py)
    race    counter += 1 on a global from 2 and 4 threads: plain, as three steps with a
            call between load and store, and the three steps under a Lock; updates lost

Variants are interleaved round by round, as the anchors do, because the machines this runs on
drift in speed over seconds.
"""
import socket
import statistics
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

pc = time.perf_counter


def out(name, *values):
    print(name, *(repr(float(v)) for v in values), flush=True)


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def median(xs):
    return pct(xs, 0.5)


def ints(s):
    return [int(x) for x in s.split(",") if x]


def floats(s):
    return [float(x) for x in s.split(",") if x]


def interleaved(fns, repeats):
    """dict name -> zero-arg callable; rotating start order each round."""
    names = list(fns)
    res = {n: [] for n in names}
    for i in range(repeats):
        k = i % len(names)
        for n in names[k:] + names[:k]:
            res[n].append(fns[n]())
    return res


def part(total, k, i):
    """Thread i's part of total split over k threads (as the demo splits its own work)."""
    return total // k + (1 if i < total % k else 0)


def run_threads(k, target, total, *args):
    """k threads, thread i running target(part(total, k, i), *args); wall time."""
    ts = [threading.Thread(target=target, args=(part(total, k, i),) + args) for i in range(k)]
    t0 = pc()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return pc() - t0


# --- (a) CPU-bound -------------------------------------------------------------------------

def countdown(n):
    while n > 0:
        n -= 1


def countdown_part(n):
    """A worker process's part of the work; returns n so the caller can check the parts."""
    countdown(n)
    return n


def run_processes(k, total):
    """total split over a ProcessPoolExecutor of k processes; wall time from creating the pool
    to the last result, so starting the processes counts (shutting them down does not)."""
    t0 = pc()
    with ProcessPoolExecutor(max_workers=k) as ex:
        done = sum(ex.map(countdown_part, [part(total, k, i) for i in range(k)]))
        t = pc() - t0
    if done != total:
        raise RuntimeError(f"the workers counted {done}, not {total}")
    return t


def cpu(n=2_000_000, threads="1,2,4", repeats=3, starts=5):
    """`<v>_s` (median time) and `<v>_ratio` / `<v>_ratios` (time / the same round's
    sequential time: median, every round) for threads `t<k>` and processes `p<k>`, and
    `p<k>_start_s`: a pool of k processes doing nothing, created until its last result
    (median of `starts`)."""
    n, repeats, starts = int(n), int(repeats), int(starts)

    def seq():
        t0 = pc()
        countdown(n)
        return pc() - t0

    ks = ints(threads)
    for k in ks:
        out(f"p{k}_start_s", median([run_processes(k, 0) for _ in range(starts)]))
    fns = {"seq": seq}
    for k in ks:
        fns[f"t{k}"] = (lambda k=k: run_threads(k, countdown, n))
        fns[f"p{k}"] = (lambda k=k: run_processes(k, n))
    res = interleaved(fns, repeats)
    for name, xs in res.items():
        out(f"{name}_s", median(xs))
        # per-round ratios, as the demo computes its own
        ratios = [x / s for x, s in zip(xs, res["seq"])]
        out(f"{name}_ratio", median(ratios))
        out(f"{name}_ratios", *ratios)


# --- (b) I/O-bound -------------------------------------------------------------------------

def sleeper(count, seconds):
    for _ in range(count):
        time.sleep(seconds)


class EchoServer:
    """Loopback TCP echo server: one handler thread per connection, answering each request
    after `delay` seconds (a stand-in for a remote service)."""

    def __init__(self, delay):
        self.delay = delay
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.addr = self.listener.getsockname()

    def serve(self, conn):
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with conn:
            while True:
                d = conn.recv(1)
                if not d:
                    return
                time.sleep(self.delay)
                conn.sendall(d)

    def client(self, trips):
        c = socket.create_connection(self.addr)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn, _ = self.listener.accept()
        h = threading.Thread(target=self.serve, args=(conn,))
        h.start()
        with c:
            for _ in range(trips):
                c.sendall(b"x")
                c.recv(1)
        h.join()


def io(sleeps=40, sleep_ms=5, trips=100, delay_ms=1, threads="1,2,4", repeats=3):
    sleeps, trips, repeats = int(sleeps), int(trips), int(repeats)
    s = float(sleep_ms) / 1e3
    srv = EchoServer(float(delay_ms) / 1e3)

    def tcp(trips_each):
        # Each client accepts one connection (maybe another client's) and serves it.
        srv.client(trips_each)

    fns = {}
    for k in ints(threads):
        fns[f"sleep_t{k}"] = (lambda k=k: run_threads(k, sleeper, sleeps, s))
        fns[f"tcp_t{k}"] = (lambda k=k: run_threads(k, tcp, trips))
    res = interleaved(fns, repeats)
    for name, xs in res.items():
        out(f"{name}_s", median(xs))
        one = res.get(name.rsplit("_t", 1)[0] + "_t1", xs)  # sleep_t4 -> sleep_t1
        out(f"{name}_ratio", median([x / b for x, b in zip(xs, one)]))
    srv.listener.close()


# --- (c) convoy ----------------------------------------------------------------------------

class Spinners:
    def __init__(self, k):
        self.stop = False
        self.count = 0
        self.threads = [threading.Thread(target=self.run) for _ in range(k)]

    def run(self):
        while not self.stop:
            self.count += 1

    def __enter__(self):
        for t in self.threads:
            t.start()
        time.sleep(0.02)  # let the spinners own the GIL before timing starts
        self.t0, self.c0 = pc(), self.count
        return self

    def __exit__(self, *exc):
        self.t1, self.c1 = pc(), self.count
        self.stop = True
        for t in self.threads:
            t.join()

    def rate(self):
        return (self.c1 - self.c0) / (self.t1 - self.t0)


def solo_rate(k, seconds=0.1):
    with Spinners(k) as sp:
        time.sleep(seconds)
    return sp.rate()


def pingpong(trips, budget):
    """Round trips on a socketpair until `trips` or `budget` seconds; returns per-trip µs."""
    a, b = socket.socketpair()
    lat = []
    try:
        t0 = prev = pc()
        for _ in range(trips):
            a.send(b"x")
            b.recv(1)
            b.send(b"x")
            a.recv(1)
            now = pc()
            lat.append((now - prev) * 1e6)
            prev = now
            if now - t0 > budget:
                break
    finally:
        a.close()
        b.close()
    return lat


def convoy_runs(trips, budget, spinners, repeats):
    """-> {k: (µs/trip median, p50, p99, max, share)} for k in spinners."""
    lats = {k: [] for k in spinners}
    per_trip = {k: [] for k in spinners}
    shares = {k: [] for k in spinners}

    def run(k):
        if k == 0:
            lat = pingpong(trips, budget)
        else:
            with Spinners(k) as sp:
                lat = pingpong(trips, budget)
            shares[k].append(sp.rate() / solo_rate(k))
        lats[k].extend(lat)
        per_trip[k].append(sum(lat) / len(lat))
        return 0.0

    interleaved({k: (lambda k=k: run(k)) for k in spinners}, repeats)
    return {k: (median(per_trip[k]), pct(lats[k], 0.5), pct(lats[k], 0.99), max(lats[k]),
                median(shares[k]) if shares[k] else float("nan")) for k in spinners}


def convoy(trips=5000, budget_s=0.5, spinners="0,1,2", repeats=3, interval_ms=5):
    sys.setswitchinterval(float(interval_ms) / 1e3)
    res = convoy_runs(int(trips), float(budget_s), ints(spinners), int(repeats))
    for k, (us, p50, p99, mx, share) in res.items():
        out(f"s{k}_us_per_trip", us)
        out(f"s{k}_p50_us", p50)
        out(f"s{k}_p99_us", p99)
        out(f"s{k}_max_us", mx)
        out(f"s{k}_share", share)
        out(f"s{k}_slowdown", us / res[0][0] if 0 in res else float("nan"))


# --- (d) GIL sharing -----------------------------------------------------------------------

GAP_S = 200e-6


def jain(xs):
    sq = sum(x * x for x in xs)
    return sum(xs) ** 2 / (len(xs) * sq) if sq else float("nan")


def share_run(k, duration):
    start = threading.Barrier(k + 1)
    results = [None] * k
    stop_at = [0.0]

    def worker(i):
        start.wait()
        end = stop_at[0]
        n = 0
        gaps, slices = [], []
        last = slice_start = pc()
        while True:
            now = pc()
            if now - last > GAP_S:
                gaps.append(now - last)
                slices.append(last - slice_start)
                slice_start = now
            last = now
            n += 1
            if now >= end:
                break
        results[i] = (n, gaps, slices)

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(k)]
    for t in ts:
        t.start()
    stop_at[0] = pc() + duration
    start.wait()
    for t in ts:
        t.join()
    gaps = [g * 1e3 for r in results for g in r[1]]
    slices = [s * 1e3 for r in results for s in r[2][1:]]
    return jain([r[0] for r in results]), slices, gaps


def share(k="2,4", duration_s=1.0, interval_ms=5, prefix=""):
    sys.setswitchinterval(float(interval_ms) / 1e3)
    duration = float(duration_s)
    for kk in ints(str(k)):
        j, slices, gaps = share_run(kk, duration)
        p = f"{prefix}k{kk}"
        out(f"{p}_jain", j)
        out(f"{p}_slice_p50_ms", pct(slices, 0.5))
        out(f"{p}_wait_p50_ms", pct(gaps, 0.5))
        out(f"{p}_wait_p99_ms", pct(gaps, 0.99))
        out(f"{p}_wait_max_ms", max(gaps) if gaps else float("nan"))
        out(f"{p}_switches_per_s", len(gaps) / duration)
        if not prefix:
            out(f"{p}_waits_ms", *gaps)


# --- (e) switch-interval sweep -------------------------------------------------------------

def sweep(intervals="1,5,20", duration_s=0.5, trips=5000, budget_s=0.3, repeats=1):
    for ms in floats(intervals):
        tag = f"i{ms:g}"
        share(k=2, duration_s=duration_s, interval_ms=ms, prefix=f"{tag}_")
        sys.setswitchinterval(ms / 1e3)
        res = convoy_runs(int(trips), float(budget_s), [0, 1], int(repeats))
        out(f"{tag}_convoy_us_per_trip", res[1][0])
        out(f"{tag}_convoy_slowdown", res[1][0] / res[0][0])


# --- under load ----------------------------------------------------------------------------

def load(trips=2000, budget_s=0.3, spinners="0,1,2", interval_ms=5, k="4", duration_s=1.0,
         fast_k="", fast_interval_ms=1):
    """One round of the convoy (`s<n>_...`) and of sharing at `interval_ms` (`k<K>_...`), and
    with `fast_k` sharing at `fast_interval_ms` too (`fast_k<K>_...`); the caller starts the
    busy processes around it."""
    convoy(trips=trips, budget_s=budget_s, spinners=spinners, repeats=1, interval_ms=interval_ms)
    share(k=k, duration_s=duration_s, interval_ms=interval_ms, prefix="")
    if fast_k:
        share(k=fast_k, duration_s=duration_s, interval_ms=fast_interval_ms, prefix="fast_")


# --- primitives ----------------------------------------------------------------------------

def lock(n=200_000, repeats=5):
    n, repeats = int(n), int(repeats)
    lk = threading.Lock()

    def acquire_release():
        acquire, release = lk.acquire, lk.release
        t0 = pc()
        for _ in range(n):
            acquire()
            release()
        return (pc() - t0) / n * 1e9

    out("lock_ns", median([acquire_release() for _ in range(repeats)]))


# --- race conditions -----------------------------------------------------------------------

counter = 0


def plain(n, _lock):
    """`counter += 1`: one statement, but LOAD_GLOBAL, BINARY_OP and STORE_GLOBAL underneath."""
    global counter
    for _ in range(n):
        counter += 1


def breaker():
    """An empty call: entering it (RESUME) checks the eval breaker, so the GIL can change
    hands there."""


def steps(n, _lock):
    """The same increment spelt as its three steps, with a call between the load and the
    store (where the demo's Rust side calls check())."""
    global counter
    for _ in range(n):
        v = counter
        breaker()
        counter = v + 1


def locked(n, lock):
    """`steps` with a threading.Lock around the three steps."""
    global counter
    for _ in range(n):
        with lock:
            v = counter
            breaker()
            counter = v + 1


def race(run_s=0.04, locked_share=16, threads="2,4", repeats=3, interval_ms=5):
    """Every run makes `increments` increments in all (printed; sized from one-thread runs
    of `steps` to take about `run_s` seconds, split over the threads), `locked_share` times
    fewer under the lock, which is slower (`locked_increments`). For each thread count k and
    variant in plain, steps and locked: `<variant>_t<k>_lost` (fraction lost, median over
    rounds), `..._lost_min` / `..._lost_max` (fewest / most lost in a round, as fractions),
    `..._lost_total` (updates lost over all rounds) and `..._ns` (wall ns per increment,
    median)."""
    global counter
    repeats = int(repeats)
    best = float("inf")
    for _ in range(3):  # best of three: a busy machine only ever makes a run slower
        t0 = pc()
        steps(10_000, None)
        best = min(best, (pc() - t0) / 10_000)
    increments = max(1000, int(float(run_s) / best))
    locked_increments = max(1000, increments // int(locked_share))
    out("increments", increments)
    out("locked_increments", locked_increments)
    sys.setswitchinterval(float(interval_ms) / 1e3)
    lock = threading.Lock()
    lost = {}

    def run(name, fn, k, total):
        global counter
        counter = 0
        wall = run_threads(k, fn, total, lock)
        lost.setdefault(name, []).append(total - counter)
        return wall / total * 1e9

    fns, totals = {}, {}
    for k in ints(threads):
        for v, fn, total in (("plain", plain, increments), ("steps", steps, increments),
                             ("locked", locked, locked_increments)):
            name = f"{v}_t{k}"
            totals[name] = total
            fns[name] = (lambda name=name, fn=fn, k=k, total=total: run(name, fn, k, total))
    res = interleaved(fns, repeats)
    for name, xs in res.items():
        fractions = [x / totals[name] for x in lost[name]]
        out(f"{name}_lost", median(fractions))
        out(f"{name}_lost_min", min(fractions))
        out(f"{name}_lost_max", max(fractions))
        out(f"{name}_lost_total", sum(lost[name]))
        out(f"{name}_ns", median(xs))


SCENARIOS = {"cpu": cpu, "io": io, "convoy": convoy, "share": share, "sweep": sweep,
             "load": load, "lock": lock, "race": race}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in SCENARIOS:
        sys.exit(f"usage: {sys.argv[0]} {{{'|'.join(SCENARIOS)}}} [key=value ...]")
    kwargs = dict(a.split("=", 1) for a in sys.argv[2:])
    SCENARIOS[sys.argv[1]](**kwargs)
