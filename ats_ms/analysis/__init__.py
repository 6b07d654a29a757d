"""Analysis: a teacher's wrong-class statistics under TS vs ATS (Figs. 7/13: ``report``, ``temperature``), the
figures and text charts (``figures``, ``textplot``) and table writers (``io``). Sweeps are ``ats_ms.sweep``."""
