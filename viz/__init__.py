"""weightlapse.viz: drawing recorded runs.

One model, drawn many ways: :mod:`.drawn` builds the drawn graph (a
``networkx.DiGraph`` of the units shown, with positions and per-gap scales)
and its per-snapshot values; :mod:`.painter` draws it for the film
(:mod:`.frame`, :mod:`.video`), the static figure (:mod:`.figure`) and the
comparisons (:mod:`.compare`, :mod:`.compare_video`); :mod:`.export` writes
it as GraphML, GEXF or JSON. Reads runs only through
``weightlapse.core.load_run`` and never trains.
"""
