"""The training film: one frame per snapshot (plus interpolated frames),
streamed to imageio-ffmpeg's bundled ffmpeg, so no system ffmpeg is needed and
memory does not grow with the video's length."""
from __future__ import annotations

import os
from pathlib import Path

import imageio_ffmpeg
import numpy as np

from weightlapse.core.errors import ConfigError, RunError

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
    a temporary file renamed into place when complete."""
    path = Path(path)
    ext = path.suffix.lower()
    tmp = path.with_name(f".{path.stem}.partial{ext}")
    if ext == ".mp4":
        writer = imageio_ffmpeg.write_frames(
            str(tmp), size, fps=fps, codec="libx264", pix_fmt_in="rgba",
            pix_fmt_out="yuv420p", quality=None, macro_block_size=1,
            output_params=["-preset", "veryfast", "-crf", str(crf),
                           "-movflags", "+faststart"], ffmpeg_log_level="error")
    else:
        writer = imageio_ffmpeg.write_frames(
            str(tmp), size, fps=fps, codec="gif", pix_fmt_in="rgba", pix_fmt_out=None,
            quality=None, macro_block_size=1, ffmpeg_log_level="error",
            output_params=["-filter_complex",
                           "split[a][b];[a]palettegen=stats_mode=diff[p];"
                           "[b][p]paletteuse=dither=bayer:bayer_scale=3"])
    try:
        writer.send(None)
        for done, frame in enumerate(frames, 1):
            writer.send(frame)
            if progress:
                progress(done, total)
        writer.close()
        os.replace(tmp, path)
    except BaseException:
        writer.close()
        if tmp.exists():
            tmp.unlink()
        raise
    return path


def _state(snap):
    return ([np.array(w) for w in snap.weights], [np.array(b) for b in snap.biases],
            snap.epoch, snap.step)


def _blend(a, b, t):
    """Linear interpolation between two snapshots (for --smooth)."""
    lerp = [[(1 - t) * x + t * y for x, y in zip(xa, xb)] for xa, xb in zip(a[:2], b[:2])]
    return lerp[0], lerp[1], (1 - t) * a[2] + t * b[2], int(round((1 - t) * a[3] + t * b[3]))
