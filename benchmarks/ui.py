"""How fast the labeling screen is, measured in a real terminal (tmux).

Every figure is from a key (or the process start) to the moment the change is
on the tmux screen, read with capture-pane. Polling capture-pane costs a few
milliseconds, so the figures are slight overestimates.

    python benchmarks/ui.py [--banking PATH] [--rows 1000000] [--presses 30]

Measures:
- process start to first table paint on banking_tutorial.csv (new project and
  resumed project), target <= 1.0 s;
- with --rows rows (default 1,000,000, --no-model): first paint (target
  <= 4 s), cursor move and page down key-to-screen (median, target <= 30 ms),
  changing a filter (target <= 200 ms), peak memory (target <= 2 GB).
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

BANKING = Path("/work/shared/data/banking77/banking_tutorial.csv")
SOCKET = "labeltui-bench"
POLL_SECONDS = 0.001
TIMEOUT_SECONDS = 120.0
WIDTH, HEIGHT = 160, 45

RESOLVER_ROW = re.compile(r"row (\d+)  ·  ([\d,]+) of ([\d,]+) in view")


def tmux(*args: str) -> str:
    return subprocess.run(
        ["tmux", "-L", SOCKET, *args], capture_output=True, text=True, check=True
    ).stdout


def screen() -> str:
    return tmux("capture-pane", "-p", "-t", "bench")


def wait_until(predicate: Callable[[str], bool], *, what: str) -> tuple[float, str]:
    deadline = time.perf_counter() + TIMEOUT_SECONDS
    while time.perf_counter() < deadline:
        text = screen()
        if predicate(text):
            return time.perf_counter(), text
        time.sleep(POLL_SECONDS)
    raise SystemExit(f"timed out waiting for {what}:\n{screen()}")


def start(command: list[str]) -> float:
    subprocess.run(["tmux", "-L", SOCKET, "kill-server"], capture_output=True)
    started = time.perf_counter()
    tmux(
        "new-session",
        "-d",
        "-s",
        "bench",
        "-x",
        str(WIDTH),
        "-y",
        str(HEIGHT),
        *command,
    )
    return started


def app_pid() -> int:
    return int(tmux("display", "-p", "-t", "bench", "#{pane_pid}").strip())


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def quit_app() -> None:
    tmux("send-keys", "-t", "bench", "C-q")
    subprocess.run(["tmux", "-L", SOCKET, "kill-server"], capture_output=True)


def first_paint(labeltui: str, data: Path, *extra: str) -> float:
    """Seconds from starting the process to the first rows on screen."""
    started = start([labeltui, str(data), *extra])
    painted, _ = wait_until(
        lambda text: RESOLVER_ROW.search(text) is not None, what="first paint"
    )
    return painted - started


def changed(before: str, group: int) -> Callable[[str], bool]:
    """A test that the resolver's line differs from before in one group."""

    def test(text: str) -> bool:
        found = RESOLVER_ROW.search(text)
        return found is not None and found.group(group) != before

    return test


def key_to_screen(key: str, presses: int) -> list[float]:
    """Milliseconds from each key press to the resolver showing another row."""
    times = []
    for _ in range(presses):
        before = RESOLVER_ROW.search(screen())
        assert before is not None
        sent = time.perf_counter()
        tmux("send-keys", "-t", "bench", key)
        shown, _ = wait_until(
            changed(before.group(0), 0), what=f"{key} to move the cursor"
        )
        times.append((shown - sent) * 1000)
    return times


def filter_change(presses: int) -> list[float]:
    """Milliseconds from enter on the Unlabeled filter to the new view on screen."""
    # Focus moves after the key that asks for it is handled: a key sent in the
    # same burst would still go to the table, so give the focus time to move.
    tmux("send-keys", "-t", "bench", "f")
    time.sleep(0.5)
    tmux("send-keys", "-t", "bench", "Down")  # from All to Unlabeled
    time.sleep(0.5)
    times = []
    for _ in range(presses):
        before = RESOLVER_ROW.search(screen())
        assert before is not None
        sent = time.perf_counter()
        tmux("send-keys", "-t", "bench", "Enter")
        shown, _ = wait_until(changed(before.group(3), 3), what="the filtered view")
        times.append((shown - sent) * 1000)
    return times


def make_big(rows: int, folder: Path) -> Path:
    """A parquet file of `rows` banking texts (each made unique), ~10% labeled."""
    source = pl.read_csv(BANKING, infer_schema=False)
    repeats = -(-rows // source.height)
    frame = pl.concat([source] * repeats).head(rows).with_row_index("i")
    frame = frame.select(
        (pl.col("text") + " #" + pl.col("i").cast(pl.String)).alias("text"),
        pl.col("label"),
    )
    path = folder / f"big{rows}.parquet"
    frame.write_parquet(path)
    return path


def median_ms(values: list[float]) -> str:
    return (
        f"{statistics.median(values):.1f} ms (min {min(values):.1f}, n={len(values)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--banking", type=Path, default=BANKING)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--presses", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    labeltui = shutil.which("labeltui") or str(Path(sys.executable).parent / "labeltui")
    folder = Path(tempfile.mkdtemp(prefix="labeltui-bench-"))
    data = folder / "banking.csv"
    shutil.copy(args.banking, data)

    try:
        print(f"process start to first table paint, {data.name}:")
        for run in range(args.repeat):
            project = data.with_suffix(".labeltui")
            project.unlink(missing_ok=True)
            new = first_paint(labeltui, data)
            quit_app()
            resumed = first_paint(labeltui, data)
            quit_app()
            print(f"  run {run + 1}: new project {new:.2f} s, resumed {resumed:.2f} s")

        big = make_big(args.rows, folder)
        print(f"{args.rows:,} rows ({big.name}, --no-model):")
        for run in range(args.repeat):
            big.with_suffix(".labeltui").unlink(missing_ok=True)
            paint = first_paint(labeltui, big, "--no-model")
            quit_app()
            resumed = first_paint(labeltui, big, "--no-model")
            pid = app_pid()
            down = key_to_screen("j", args.presses)
            page = key_to_screen("PageDown", args.presses)
            filters = filter_change(max(4, args.presses // 5))
            memory = peak_memory_mb(pid)
            quit_app()
            print(
                f"  run {run + 1}: first paint new {paint:.2f} s, resumed "
                f"{resumed:.2f} s"
            )
            print(f"    cursor down  {median_ms(down)}")
            print(f"    page down    {median_ms(page)}")
            print(f"    filter change {median_ms(filters)}")
            print(f"    peak memory  {memory:,.0f} MB")
    finally:
        subprocess.run(["tmux", "-L", SOCKET, "kill-server"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
