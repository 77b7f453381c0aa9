"""The training film: one frame per snapshot (plus interpolated frames),
streamed to imageio-ffmpeg's bundled ffmpeg, so no system ffmpeg is needed and
memory does not grow with the video's length."""
from __future__ import annotations

import errno
import signal
import subprocess
import tempfile
from pathlib import Path

import imageio_ffmpeg
import numpy as np

from weightlapse.core.errors import ConfigError, RunError

from weightlapse.core.io import atomic_path

from .figure import check_output
from .frame import FrameRenderer

FORMATS = (".mp4", ".gif")   # H.264 video, animated GIF


def check_video_options(path, fps=30, size=(1280, 720), dpi=100, smooth=0):
    """Validate a video's options before any work (the output folder too)."""
    ext = check_output(path, FORMATS, "video").suffix.lower()
    w, h = size
    if not (16 <= w <= 7680 and 16 <= h <= 4320):
        raise ConfigError(f"size {w}x{h} is out of range; use e.g. 1280x720")
    if ext == ".mp4" and (w % 2 or h % 2):
        raise ConfigError(f"size {w}x{h}: H.264 needs even width and height")
    if not 0 < fps <= 240:
        raise ConfigError(f"fps must be in (0, 240] (got {fps})")
    if not 20 <= dpi <= 600:
        raise ConfigError(f"dpi must be in 20..600 (got {dpi})")
    if not 0 <= smooth <= 60:
        raise ConfigError(f"smooth must be in 0..60 frames (got {smooth})")


def frame_plan(snapshots, smooth=0):
    """(i, j, t) triples: a frame at snapshot i blended a fraction t toward j."""
    n = len(snapshots)
    for i in range(n):
        yield i, i, 0.0
        if i + 1 < n:
            for k in range(1, smooth + 1):
                yield i, i + 1, k / (smooth + 1)


def render_video(run, path, fps=30, size=(1280, 720), dpi=100, smooth=0, edges="all",
                 progress=None, crf=20):
    """Render ``run``'s film to ``path`` (.mp4 or .gif). ``progress(done, total)``
    is called after each frame. Returns the path. Written to a temporary file
    and renamed into place, so a failed render leaves nothing behind."""
    check_video_options(path, fps, size, dpi, smooth)
    snaps = run.snapshots
    if len(snaps) == 0:
        raise RunError(f"run {run.path} has no snapshots to film")
    path = Path(path)
    renderer = FrameRenderer(run, size, dpi, edges)
    total = len(snaps) + smooth * max(len(snaps) - 1, 0)

    def frames():
        cache = {}
        for i, j, t in frame_plan(snaps, smooth):
            a = cache.get(i) or _state(snaps[i])
            cache = {i: a}
            if t == 0:
                yield renderer.frame(*a)
            else:
                b = cache[j] = _state(snaps[j])
                yield renderer.frame(*_blend(a, b, t))

    return write_video(path, frames(), total, size, fps, progress, crf)


def write_video(path, frames, total, size, fps=30, progress=None, crf=20):
    """Stream RGBA frames (H, W, 4 uint8) to ``path`` (.mp4 H.264 or .gif) via
    a uniquely named temporary file renamed into place when complete."""
    path = Path(path)
    if path.suffix.lower() == ".mp4":
        codec = ["-vcodec", "libx264", "-pix_fmt", "yuv420p", "-preset", "veryfast",
                 "-crf", str(crf), "-movflags", "+faststart"]
    else:
        codec = ["-vcodec", "gif", "-filter_complex",
                 "split[a][b];[a]palettegen=stats_mode=diff[p];"
                 "[b][p]paletteuse=dither=bayer:bayer_scale=3"]
    with atomic_path(path) as tmp, FFmpegPipe(tmp, size, fps, codec, shown=path) as pipe:
        for done, frame in enumerate(frames, 1):
            pipe.send(frame)
            if progress:
                progress(done, total)
    return path


class FFmpegPipe:
    """imageio-ffmpeg's bundled ffmpeg fed raw RGBA frames on stdin. Its
    messages are kept, not shown: a failure (an unwritable folder, a full
    disk) is one ``OSError`` naming the file and ffmpeg's last word."""

    def __init__(self, path, size, fps, codec, shown=None):
        self.path, self.shown = Path(path), Path(shown or path)
        self.log = tempfile.TemporaryFile()
        w, h = size
        cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-v", "error", "-f", "rawvideo",
               "-pix_fmt", "rgba", "-s", f"{w}x{h}", "-r", f"{fps:.6g}", "-i", "-", "-an",
               *codec, str(self.path)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     stderr=self.log)

    def send(self, frame):
        try:
            self.proc.stdin.write(np.ascontiguousarray(frame, np.uint8).data)
        except (BrokenPipeError, OSError):
            self.proc.wait()
            self._fail()

    def __enter__(self):
        return self

    def __exit__(self, kind, err, tb):
        try:
            if kind is not None:        # stop at once: the file is discarded anyway
                self.proc.kill()
                self.proc.wait()
                return False
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            if self.proc.wait() != 0:
                self._fail()
            return False
        finally:
            self.log.close()

    def _fail(self):
        self.log.seek(0)
        lines = [ln.strip() for ln in self.log.read().decode(errors="replace").splitlines()
                 if ln.strip()]
        rc = self.proc.returncode
        why = lines[-1] if lines else (f"stopped by {signal.Signals(-rc).name}" if rc < 0
                                       else f"exit status {rc}")
        raise OSError(errno.EIO, f"ffmpeg could not write the video ({why})", str(self.shown))


def _state(snap):
    return ([np.array(w) for w in snap.weights], [np.array(b) for b in snap.biases],
            snap.epoch, snap.step)


def _blend(a, b, t):
    """Linear interpolation between two snapshots (for --smooth)."""
    lerp = [[(1 - t) * x + t * y for x, y in zip(xa, xb)] for xa, xb in zip(a[:2], b[:2])]
    return lerp[0], lerp[1], (1 - t) * a[2] + t * b[2], int(round((1 - t) * a[3] + t * b[3]))
