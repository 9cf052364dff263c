"""The M/M/N+M model of `omnisim plan`, in SimPy: the reference for its speed comparison.

Poisson arrivals, N agents, exponential handle times and patience, FIFO. Prints the measured
figures and the customers simulated per second of wall time.

    python3 bench/mmn_simpy.py RATE_PER_HOUR AHT_S AGENTS PATIENCE_S CUSTOMERS [SEED]
"""
import random
import sys
import time

import simpy


def main():
    rate_h, aht, agents, patience, customers = sys.argv[1:6]
    seed = int(sys.argv[6]) if len(sys.argv) > 6 else 1
    rate, aht, agents = float(rate_h) / 3600.0, float(aht), int(agents)
    patience, customers = float(patience), int(customers)
    rng = random.Random(seed)
    env = simpy.Environment()
    staff = simpy.Resource(env, capacity=agents)
    stats = {"waited": 0, "abandoned": 0, "answered": 0, "within": 0, "wait": 0.0}

    def customer(env):
        arrived = env.now
        with staff.request() as req:
            if req.triggered:
                stats["answered"] += 1
                stats["within"] += 1
            else:
                stats["waited"] += 1
                result = yield req | env.timeout(rng.expovariate(1.0 / patience))
                waited = env.now - arrived
                stats["wait"] += waited
                if req not in result:
                    stats["abandoned"] += 1
                    return
                stats["answered"] += 1
                stats["within"] += waited <= 20.0
            yield env.timeout(rng.expovariate(1.0 / aht))

    def arrivals(env):
        for _ in range(customers):
            yield env.timeout(rng.expovariate(rate))
            env.process(customer(env))

    env.process(arrivals(env))
    start = time.perf_counter()
    env.run()
    elapsed = time.perf_counter() - start
    n = float(customers)
    print(
        f"simpy: {customers} customers in {elapsed:.2f} s = {customers / elapsed:,.0f} customers/s; "
        f"P(wait) {stats['waited'] / n:.4f} P(abandon) {stats['abandoned'] / n:.4f} "
        f"SL(20s) {stats['within'] / n:.4f} ASA(all) {stats['wait'] / n:.2f} s"
    )


if __name__ == "__main__":
    main()
