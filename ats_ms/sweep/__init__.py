"""Sweeps over grids of methods, hyper-parameters and seeds from one teacher: the grid's syntax (``grid``), the cells
and their names (``cells``), the worker that trains them in packs sharing the teacher's forward (``worker``), the
claim files by which several workers share a grid (``claims``), the report (``report``) and the comparison of two
sweep folders (``compare``)."""
