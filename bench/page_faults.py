#!/usr/bin/env python3
"""What the machine's kernel charges for fresh memory, without omnisim: touch one byte in every
page of SIZE gigabytes and report the kernel time per page. The cost of a 10^6-session virtual
run's growing heap (bench/virtual_speed.sh) is read against this.

    python3 bench/page_faults.py [GB...]      (default: 0.7 2 4 7.5)
"""
import mmap
import resource
import sys

PAGE = mmap.PAGESIZE


def touch(gigabytes):
    size = int(gigabytes * 1e9) // PAGE * PAGE
    before = resource.getrusage(resource.RUSAGE_SELF)
    region = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    view = memoryview(region)
    for offset in range(0, size, PAGE):
        view[offset] = 1
    after = resource.getrusage(resource.RUSAGE_SELF)
    view.release()
    region.close()
    pages = size // PAGE
    sys_s = after.ru_stime - before.ru_stime
    faults = after.ru_minflt - before.ru_minflt
    return pages, faults, sys_s


def main():
    sizes = [float(a) for a in sys.argv[1:]] or [0.7, 2, 4, 7.5]
    print(f"{'GB':>6} {'pages':>10} {'faults':>10} {'kernel_s':>9} {'us/page':>8}")
    for gb in sizes:
        pages, faults, sys_s = touch(gb)
        print(f"{gb:>6} {pages:>10} {faults:>10} {sys_s:>9.2f} {sys_s * 1e6 / pages:>8.2f}")


if __name__ == "__main__":
    main()
