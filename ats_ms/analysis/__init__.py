"""Paper analysis: teacher wrong-class statistics under TS vs ATS (Figs. 7/13), the tau_1 x tau_2 sweep (Fig. 10)."""
