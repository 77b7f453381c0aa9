"""The training film: about a fixed duration, interpolating between snapshots,
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
from .options import DrawOptions
from .pacing import film_positions

FORMATS = (".mp4", ".gif")   # H.264 video, animated GIF


def check_video_options(path, options=None, dpi=100):
    """Validate a video's output and options before any work."""
    ext = check_output(path, FORMATS, "video").suffix.lower()
    opts = options or DrawOptions()
    w, h = opts.size
    if ext == ".mp4" and (w % 2 or h % 2):
        raise ConfigError(f"size {w}x{h}: H.264 needs even width and height")
    if not 20 <= dpi <= 600:
        raise ConfigError(f"dpi must be in 20..600 (got {dpi})")


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
