"""The portal under load: complaint-form posts from 20 concurrent clients over real HTTP (DESIGN §10: p99 < 50 ms).

The portal is served by waitress on 127.0.0.1 as `sheetdesk run` serves it, over a real state store; every post
goes through CSRF, the signed render time, the limits, the row model and the one intake function (a reserved
ticket number and a queued complaint in SQLite). Each client first opens the form (its own session cookie and
form token), the script waits out the 3 s a person needs, then all clients post at once, round after round.

Baseline, measured in the same run at the same concurrency: GET / (rendering the form, no SQLite write). The
floor: GET of a page that does nothing but answer (Flask's 404, through the same server and app).

Besides the latency the clients see, the server's own CPU time per request is measured (``time.thread_time``
around the app, in the request's thread): on a shared machine the latency mostly measures everybody else's
load, while the CPU time is what a request costs. Under the GIL, 20 posts arriving at once are served one
CPU-slice after another, so on an idle machine the last of them is answered after about 20 × that time.

    .venv/bin/python bench/bench_portal.py [--clients 20] [--rounds 10]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import markdown_table, write_results  # noqa: E402
from sync.portal import PortalConfig, PortalServer, create_app  # noqa: E402
from sync.service.web import intake_submit  # noqa: E402
from sync.state import STATE_FILE, StateStore  # noqa: E402

SECRET = "bench-secret-0123456789abcdef"


class Client:
    """One browser: a keep-alive connection and its session cookie."""

    def __init__(self, port: int, number: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""
        self.number = number
        self.fields: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str, float]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode()
        elapsed = time.perf_counter() - started
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return response.status, text, elapsed

    def open_form(self) -> float:
        status, page, elapsed = self.request("GET", "/")
        assert status == 200, status
        self.fields = {name: re.search(rf'name="{name}" value="([^"]*)"', page).group(1)
                       for name in ("csrf_token", "form_token")}
        return elapsed

    def post(self, round_: int) -> float:
        body = urllib.parse.urlencode({
            **self.fields, "customer": f"Bench customer {self.number}", "email": f"c{self.number}-{round_}@bench.example",
            "phone": "", "product": "Cold-chain box", "category": "Product quality", "order_no": "",
            "description": "The lid cracked on delivery; the goods arrived warm.",
        })
        status, page, elapsed = self.request("POST", "/", body)
        assert status == 200 and "ticket-number" in page, (status, page[:300])
        return elapsed


class CpuMeter:
    """WSGI middleware: the CPU time the app spends on each request, by "METHOD path-kind"."""

    def __init__(self, app) -> None:
        self.app = app
        self.seconds: dict[str, list[float]] = {}
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        started = time.thread_time()
        body = list(self.app(environ, start_response))
        spent = time.thread_time() - started
        path = environ.get("PATH_INFO", "")
        kind = f"{environ['REQUEST_METHOD']} {'/' if path == '/' else 'other'}"
        with self.lock:
            self.seconds.setdefault(kind, []).append(spent)
        return body


def at_once(clients: list[Client], work) -> list[float]:
    """Run ``work(client)`` in one thread per client, all released together; return the latencies."""
    barrier = threading.Barrier(len(clients))
    results: list[float] = []
    lock = threading.Lock()

    def run(client: Client) -> None:
        barrier.wait()
        elapsed = work(client)
        with lock:
            results.append(elapsed)

    threads = [threading.Thread(target=run, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        state_dir = Path(scratch) / "state"
        StateStore(state_dir).close()
        config = PortalConfig(SECRET, state_dir / STATE_FILE, intake_submit(state_dir),
                              form_per_ip_per_hour=10**9, form_per_address_per_day=10**9)
        app = create_app(config)
        meter = CpuMeter(app.wsgi_app)
        app.wsgi_app = meter  # type: ignore[method-assign]
        server = PortalServer(app, "127.0.0.1:0", threads=8)
        server.start()
        load_before = os.getloadavg()
        try:
            results = measure(server.port, options.clients, options.rounds)
        finally:
            server.stop()
        results["cpu_post"] = meter.seconds.get("POST /", [])
        results["cpu_form"] = meter.seconds.get("GET /", [])
        results["cpu_floor"] = meter.seconds.get("GET other", [])
        results["load"] = [list(load_before), list(os.getloadavg())]
        queued = len(StateStore(state_dir).queued())
    assert queued == options.clients * options.rounds, queued
    print_table(results, options)
    write_results("portal", {"clients": options.clients, "rounds": options.rounds, **results})


def measure(port: int, clients_count: int, rounds: int) -> dict[str, list[float]]:
    clients = [Client(port, number) for number in range(clients_count)]
    posts: list[float] = []
    forms: list[float] = []
    floor: list[float] = []
    for round_ in range(rounds):
        forms += at_once(clients, lambda client: client.open_form())
        floor += at_once(clients, lambda client: client.request("GET", "/nothing-here")[2])
        time.sleep(3.1)  # a person takes longer than 3 s to fill the form: faster posts are refused
        posts += at_once(clients, lambda client, round_=round_: client.post(round_))
    return {"post": posts, "form": forms, "floor": floor}


def print_table(results: dict, options) -> None:
    baseline = statistics.median(results["form"])
    floor_p99 = percentile(results["floor"], 0.99)
    rows = []
    for name, label in (("floor", "floor: a 404 through the same server and app"),
                        ("form", "baseline: GET / (the form)"), ("post", "POST / (a complaint taken in)")):
        values = results[name]
        p99 = percentile(values, 0.99)
        cpu = results.get(f"cpu_{name}") or [0.0]
        verdict = ("ok" if p99 < 0.050 else "**over**") if name == "post" else ""
        rows.append([label, len(values), f"{statistics.median(values) * 1000:.1f} ms",
                     f"{percentile(values, 0.95) * 1000:.1f} ms", f"{p99 * 1000:.1f} ms", f"{p99 / floor_p99:.2f}×",
                     f"{statistics.median(values) / baseline:.2f}×", f"{statistics.median(cpu) * 1000:.2f} ms",
                     f"{options.clients * statistics.median(cpu) * 1000:.0f} ms",
                     "< 50 ms" if name == "post" else "", verdict])
    before, after = results["load"]
    print(f"{options.clients} concurrent clients, {options.rounds} rounds; load average before "
          f"{' / '.join(f'{value:.1f}' for value in before)}, after {' / '.join(f'{value:.1f}' for value in after)} "
          f"on {os.cpu_count()} CPUs")
    print(markdown_table(["case", "requests", "median", "p95", "p99", "p99 vs floor", "median vs baseline",
                          "server CPU (median)", f"{options.clients} × CPU", "budget (p99)", ""], rows))


if __name__ == "__main__":
    main()
