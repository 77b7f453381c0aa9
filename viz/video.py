"""The training film: about a fixed duration, interpolating between snapshots,
streamed to imageio-ffmpeg's bundled ffmpeg, so no system ffmpeg is needed and
memory does not grow with the video's length."""
from __future__ import annotations

import errno
import os
import signal
import subprocess
import tempfile
from pathlib import Path

import imageio_ffmpeg
import numpy as np

from weightlapse.core.errors import RunError

from .frame import FrameRenderer
from .draw_options import DrawOptions
from .outputs import check_dpi, check_output, check_size, formats, write, writer
from .pacing import film_positions

FORMATS = formats("video")   # H.264 video, animated GIF


def check_video_options(path, options=None, dpi=100):
    """Validate a video's output and options before any work."""
    ext = check_output(path, "video").suffix.lower()
    check_size((options or DrawOptions()).size, ext=ext)
    check_dpi(dpi)


def render_video(run, path, options=None, dpi=100, progress=None, crf=20):
    """Render ``run``'s film to ``path`` (.mp4 or .gif), about
    ``options.duration`` seconds at ``options.fps`` whatever the number of
    snapshots (see :mod:`.pacing`). ``progress(done, total)`` is called after
    each frame. Written to a temporary file renamed into place, so a failed
    render leaves nothing behind. Returns the path."""
    opts = options or DrawOptions()
    check_video_options(path, opts, dpi)
    if len(run.snapshots) == 0:
        raise RunError(f"run {run.path} has no snapshots to film")
    renderer = FrameRenderer(run, opts, dpi)
    positions = film_positions(len(run.snapshots), opts.duration, opts.fps)
    frames = (renderer.frame_at(p) for p in positions)
    return write_video(Path(path), frames, len(positions), opts.size, opts.fps, progress, crf)


def write_video(path, frames, total, size, fps=30, progress=None, crf=20):
    """Stream RGBA frames (H, W, 4 uint8) to ``path`` (.mp4 H.264 or .gif) via
    a uniquely named temporary file renamed into place when complete."""
    return write("video", path, frames, total=total, size=size, fps=fps, progress=progress,
                 crf=crf)


@writer("video")
def encode_video(frames, tmp, total, size, fps=30, progress=None, crf=20):
    """The video writer: ``frames`` into ``tmp`` (its extension picks the codec)."""
    if Path(tmp).suffix.lower() == ".mp4":
        codec = ["-vcodec", "libx264", "-pix_fmt", "yuv420p", "-preset", "veryfast",
                 "-crf", str(crf), "-threads", str(encoder_threads()),
                 "-movflags", "+faststart"]
    else:
        codec = ["-vcodec", "gif", "-filter_complex",
                 "split[a][b];[a]palettegen=stats_mode=diff[p];"
                 "[b][p]paletteuse=dither=bayer:bayer_scale=3"]
    with FFmpegPipe(tmp, size, fps, codec) as pipe:
        for done, frame in enumerate(frames, 1):
            pipe.send(frame)
            if progress:
                progress(done, total)


def encoder_threads():
    """x264's threads: every CPU but one, which is left to the renderer that
    feeds it. On 2 CPUs that is one thread, which also costs less CPU per
    frame than x264's default of 1.5 per CPU (13.7 against 17.6 ms for a
    1280x720 frame, same file size)."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:          # not on Linux
        n = os.cpu_count() or 2
    return max(1, n - 1)


def _widen_pipe(stream, frame_bytes):
    """Let the pipe hold up to a frame (Linux: 64 kB by default, so a 3.7 MB
    frame would take 57 hand-overs between us and ffmpeg), within the
    system's limit for unprivileged processes."""
    try:
        import fcntl
        with open("/proc/sys/fs/pipe-max-size") as f:
            limit = int(f.read())
        fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, min(frame_bytes, limit))
    except (ImportError, AttributeError, OSError, ValueError):
        pass                        # not Linux, or not allowed: the default pipe works


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
        _widen_pipe(self.proc.stdin, w * h * 4)

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

