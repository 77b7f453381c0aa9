"""One progress bar over a sweep's runs (done, failed, running) and a line
per finished run. On a terminal the bar stays at the bottom with the lines
above it; otherwise only the lines are written."""
from __future__ import annotations

import sys

FAILED = ("failed", "cancelled", "interrupted", "killed")


class RunsBar:
    def __init__(self, records, log, progress=False):
        self.records, self.log = records, log
        self.bar = None
        if progress and sys.stderr.isatty():
            from tqdm.auto import tqdm
            self.bar = tqdm(total=len(records), unit="run", desc="sweep", file=sys.stderr,
                            dynamic_ncols=True, leave=True)

    def counts(self):
        done = sum(r.get("status") in ("finished", "diverged") for r in self.records)
        failed = sum(r.get("status") in FAILED for r in self.records)
        return done, failed

    def start(self, where):
        todo = sum(r.get("status") == "pending" for r in self.records)
        self.line(f"sweep: {todo} run{'s' if todo != 1 else ''} on {where}")
        self.update(0)

    def line(self, msg):
        if self.bar is not None:
            self.bar.write(msg, file=sys.stderr)
        else:
            self.log(msg)

    def update(self, running):
        if self.bar is not None:
            done, failed = self.counts()
            self.bar.n = done + failed
            self.bar.set_postfix_str(f"done {done}, failed {failed}, running {running}")

    def finished(self, rec):
        done, failed = self.counts()
        fm = rec.get("final_metrics") or {}
        acc = fm.get("val_acc", fm.get("train_acc"))
        parts = [rec["status"]]
        if acc is not None:
            parts.append(f"{'val' if 'val_acc' in fm else 'train'} acc {acc:.4f}")
        if rec.get("seconds") is not None:
            parts.append(f"{rec['seconds']:.1f} s")
        if rec.get("attempts", 1) > 1:
            parts.append(f"attempt {rec['attempts']}")
        msg = f" ({rec['message']})" if rec.get("message") else ""
        self.line(f"[{done + failed}/{len(self.records)}] {rec['name']}: "
                  f"{', '.join(parts)}{msg}")

    def close(self):
        if self.bar is not None:
            self.update(0)
            self.bar.close()
