"""weightlapse.viz: drawing recorded runs.

One model, drawn many ways: :mod:`.drawn` builds the drawn graph (a
``networkx.DiGraph`` of the units shown, with positions and per-gap scales)
and its per-snapshot values; :mod:`.painter` draws it for the film
(:mod:`.frame`, :mod:`.video`), the static figure (:mod:`.figure`) and the
comparisons (:mod:`.compare`, :mod:`.compare_video`); :mod:`.export` writes
it as GraphML, GEXF or JSON. Reads runs only through
``weightlapse.core.load_run`` and never trains.
"""

if __name__ == "viz":  # pragma: no cover - a source folder's top level on sys.path
    # A second copy of every module (core.errors.ConfigError would not be
    # weightlapse.core.errors.ConfigError): refuse it, naming the right import.
    raise ImportError("import weightlapse.viz, not viz: this folder is installed as "
                      "weightlapse.viz")

