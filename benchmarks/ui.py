"""How fast the labeling screen is, measured in a real terminal (tmux).

A tmux control-mode client streams every write the app makes to the terminal,
with no polling that would take CPU from the app. First paint runs from
starting the process to the first write that shows the current row's detail
(drawn in the same frame as the table); a key's figure runs from sending it to
the last write of the screen update it caused.

    python benchmarks/ui.py [--banking PATH] [--rows 1000000] [--presses 30]

(--rows 0 measures banking only.)

Measures:
- process start to first table paint on banking_tutorial.csv (new project and
  resumed project), target <= 1.0 s;
- with --rows rows (default 1,000,000, --no-model): first paint (target
  <= 4 s), cursor move and page down key-to-screen (median, target <= 30 ms),
  changing a filter (target <= 200 ms), peak memory (target <= 2 GB); also an
  action and its undo (exclude, undo), which re-query the view and the counts.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import polars as pl

BANKING = Path("/work/shared/data/banking77/banking_tutorial.csv")
SOCKET = "labeltui-bench"
POLL_SECONDS = 0.001
# A burst of screen writes is over when the app has written nothing for this
# long (Textual writes a frame in one or two writes, microseconds apart).
QUIET_SECONDS = 0.05
TIMEOUT_SECONDS = 120.0
WIDTH, HEIGHT = 160, 45


def tmux(*args: str) -> str:
    return subprocess.run(
        ["tmux", "-L", SOCKET, *args], capture_output=True, text=True, check=True
    ).stdout


def screen() -> str:
    return tmux("capture-pane", "-p", "-t", "bench")


class Control:
    """A tmux control-mode client: sends keys and timestamps the app's output.

    Control mode streams every write the app makes to the terminal as a
    `%output` line, so key-to-screen is measured from the send to the last
    write of the burst that follows, without polling the screen.
    """

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            ["tmux", "-L", SOCKET, "-C", "attach", "-t", "bench"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
        )
        self.outputs: list[tuple[float, bytes]] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in iter(self.process.stdout.readline, b""):
            if line.startswith(b"%output"):
                with self._lock:
                    self.outputs.append((time.perf_counter(), line))

    def press(self, key: str) -> float:
        """Send a key; return ms until the screen stopped changing (or nan)."""
        assert self.process.stdin is not None
        with self._lock:
            self.outputs.clear()
        sent = time.perf_counter()
        self.process.stdin.write(f"send-keys -t bench {key}\n".encode())
        deadline = sent + TIMEOUT_SECONDS
        while time.perf_counter() < deadline:
            time.sleep(QUIET_SECONDS / 4)
            with self._lock:
                last = self.outputs[-1][0] if self.outputs else None
            if last is not None and time.perf_counter() - last > QUIET_SECONDS:
                return (last - sent) * 1000
        return float("nan")

    def wait_for_output(self, needle: bytes) -> float:
        """The time of the first write containing needle (waits for it)."""
        deadline = time.perf_counter() + TIMEOUT_SECONDS
        while time.perf_counter() < deadline:
            with self._lock:
                for stamp, line in self.outputs:
                    if needle in line:
                        return stamp
            time.sleep(POLL_SECONDS)
        raise SystemExit(f"timed out waiting for {needle!r}:\n{screen()}")

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"detach\n")
        self.process.wait(timeout=5)


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


def first_paint(labeltui: str, data: Path, *extra: str) -> tuple[float, Control]:
    """Seconds from starting the process to the first rows on screen.

    Returns the control client too, for the measurements that follow.
    """
    started = start([labeltui, str(data), *extra])
    control = Control()
    painted = control.wait_for_output(b"in view")
    return painted - started, control


def key_to_screen(control: Control, key: str, presses: int) -> list[float]:
    """Milliseconds from each key press to the end of the screen update."""
    return [control.press(key) for _ in range(presses)]


def filter_change(control: Control, presses: int) -> list[float]:
    """Milliseconds from enter on the Unlabeled filter to the new view on screen."""
    control.press("f")  # focus the sidebar (on All)
    control.press("Down")  # to Unlabeled
    return [control.press("Enter") for _ in range(presses)]  # on, off, on...


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
            new, control = first_paint(labeltui, data)
            control.close()
            quit_app()
            resumed, control = first_paint(labeltui, data)
            control.close()
            quit_app()
            print(f"  run {run + 1}: new project {new:.2f} s, resumed {resumed:.2f} s")

        if args.rows <= 0:
            return
        big = make_big(args.rows, folder)
        print(f"{args.rows:,} rows ({big.name}, --no-model):")
        for run in range(args.repeat):
            big.with_suffix(".labeltui").unlink(missing_ok=True)
            paint, control = first_paint(labeltui, big, "--no-model")
            control.close()
            quit_app()
            resumed, control = first_paint(labeltui, big, "--no-model")
            pid = app_pid()
            down = key_to_screen(control, "j", args.presses)
            page = key_to_screen(control, "PageDown", args.presses)
            actions = [control.press(key) for key in "eu" * (args.presses // 2)]
            filters = filter_change(control, max(4, args.presses // 5))
            control.close()
            memory = peak_memory_mb(pid)
            quit_app()
            print(
                f"  run {run + 1}: first paint new {paint:.2f} s, resumed "
                f"{resumed:.2f} s"
            )
            print(f"    cursor down  {median_ms(down)}")
            print(f"    page down    {median_ms(page)}")
            print(f"    action (e, u) {median_ms(actions)}")
            print(f"    filter change {median_ms(filters)}")
            print(f"    peak memory  {memory:,.0f} MB")
    finally:
        subprocess.run(["tmux", "-L", SOCKET, "kill-server"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
