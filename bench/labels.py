"""Benchmark: one A4 label sheet PDF for 500 sites (a township's worth of tags).

Run:  .venv/bin/python -m bench.labels [--sites 500] [--repeat 5]
            [--mask-search] [--without-rl-accel]

Prints seconds per sheet (median of the repetitions, after one warm-up that also loads
the CJK font; wall clock, and the CPU time of this process, which other processes on a
shared machine disturb far less), pages, PDF size, and the time per label. Figures are
printed, never asserted. Needs a CJK font (Debian fonts-wqy-microhei, see .ci/system-deps.sh).

The two switches measure what the speed fixes are worth, in the same environment:
`--mask-search` lets `qrcode` score all eight data masks again (as before the fixed
`qr.MASK_PATTERN`), and `--without-rl-accel` hides reportlab's C accelerator (`rl_accel`)
so reportlab falls back to its pure-Python code.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time

from server.sites import codes

# Set by main() before the first import of reportlab (through server.evidence.labels).
Label = LABELS_PER_PAGE = find_cjk_font = label_sheet_pdf = qr = None

_NAMES = ("张记川味饭店", "城南街道幸福里社区第三网格九小场所联合检查点（东区B栋102室）",
          "Lucky Star KTV 幸运星歌厅", "老李家常菜，烧烤。", "液化石油气供应站",
          "桃源镇王家庄村3组15号自建房（经营性）")
_VILLAGES = ("桃源镇王家庄村", "城南街道幸福里社区", "青山乡石门村第二村民小组")


def make_labels(count: int) -> list[Label]:
    """`count` labels with realistic, varied names (short, long, mixed scripts)."""
    labels = []
    for i in range(count):
        code = codes.make_code(f"bench-site-{i}")
        labels.append(Label(
            site_name=f"{_NAMES[i % len(_NAMES)]}{i}",
            site_code=code,
            village=_VILLAGES[i % len(_VILLAGES)],
            payload=qr.payload_url("https://xuncha.example.gov.cn", code, "bench-secret"),
        ))
    return labels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--mask-search", action="store_true",
                        help="let qrcode try all eight masks (the cost before the fix)")
    parser.add_argument("--without-rl-accel", action="store_true",
                        help="hide reportlab's C accelerator")
    args = parser.parse_args(argv)
    _load(without_rl_accel=args.without_rl_accel)
    if args.mask_search:
        qr.MASK_PATTERN = None

    labels = make_labels(args.sites)
    print(f"font: {find_cjk_font()}")
    import reportlab.lib.rl_accel as accel

    print(f"python {platform.python_version()}, {platform.machine()}; rl_accel "
          f"{'off' if args.without_rl_accel else 'on'} ({accel.__name__} "
          f"fp_str from {accel.fp_str.__module__}); QR mask "
          f"{'searched' if qr.MASK_PATTERN is None else f'fixed {qr.MASK_PATTERN}'}")
    start = time.perf_counter()
    pdf = label_sheet_pdf(labels)
    print(f"first sheet (includes loading the font): {time.perf_counter() - start:.2f} s")
    times, cpu_times = [], []
    for _ in range(args.repeat):
        cpu, start = time.process_time(), time.perf_counter()
        pdf = label_sheet_pdf(labels)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu)
    median = statistics.median(times)
    pages = -(-args.sites // LABELS_PER_PAGE)
    print(f"\n{args.sites} sites, {pages} A4 pages, {len(pdf) / 1e6:.2f} MB PDF")
    print(f"{'seconds per sheet':<24}median {median:.2f}   min {min(times):.2f}   "
          f"max {max(times):.2f}   ({args.repeat} runs)")
    print(f"{'CPU seconds per sheet':<24}median {statistics.median(cpu_times):.2f}   "
          f"min {min(cpu_times):.2f}   max {max(cpu_times):.2f}")
    print(f"{'milliseconds per label':<24}{median / args.sites * 1000:.2f}")
    return 0


def _load(*, without_rl_accel: bool) -> None:
    global Label, LABELS_PER_PAGE, find_cjk_font, label_sheet_pdf, qr
    if without_rl_accel:
        sys.modules["_rl_accel"] = None  # reportlab then uses its Python fallbacks
    from server.evidence import labels
    from server.evidence import qr as qr_module

    Label, LABELS_PER_PAGE = labels.Label, labels.LABELS_PER_PAGE
    find_cjk_font, label_sheet_pdf = labels.find_cjk_font, labels.label_sheet_pdf
    qr = qr_module


if __name__ == "__main__":
    sys.exit(main())
