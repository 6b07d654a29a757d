"""Analysis and sweeps: teacher wrong-class statistics under TS vs ATS (Figs. 7/13), sweeps over grids of methods and
hyper-parameters (cells, worker, claims, report; the classic tau_1 x tau_2 grid of Fig. 10 among them), figures."""
