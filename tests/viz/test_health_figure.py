"""The health figure (``weightlapse diagnose -o``): what a reader can read off it."""
import weightlapse as wl
from weightlapse.viz import health_figure as hf


def test_gradient_rms_axis_has_labels_within_one_decade(train_spiral, tmp_path, monkeypatch):
    """A gradient RMS that stays within one decade (no power of ten on the axis)
    still gets numbers on its log axis, not a bare frame."""
    run = train_spiral(tmp_path, "narrow", lr=0.002, hidden=[16])
    drawn = []
    real = hf.write
    monkeypatch.setattr(hf, "write", lambda kind, path, fig, **kw: (
        drawn.append(fig), real(kind, path, fig, **kw))[1])
    wl.diagnose(run, tmp_path / "health.png")
    fig, = drawn
    fig.canvas.draw()
    grad = [ax for ax in fig.axes if ax.get_yscale() == "log"]
    assert grad
    narrow = 0
    for ax in grad:
        lo, hi = ax.get_ylim()
        labels = [t.get_text() for t in ax.get_yticklabels(which="both")
                  if t.get_text() and lo <= t.get_position()[1] <= hi]
        narrow += hi / lo < 10
        assert labels, (lo, hi)
    assert narrow, "no gradient RMS panel within one decade: the test checks nothing"
