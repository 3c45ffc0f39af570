"""The composite-index engine: small NumPy functions, one module per step.

* :mod:`nqpf.index.impute` — screening by availability and panel-aware imputation;
* :mod:`nqpf.index.treat` — outlier treatment (COINr's skew/kurtosis rules);
* :mod:`nqpf.index.normalize` — min-max, z-score, rank, percentile, goalposts, distance to target;
* :mod:`nqpf.index.weights` — equal, entropy, CRITIC, PCA, AHP, user and combined weights;
* :mod:`nqpf.index.aggregate` — arithmetic, geometric, generalised mean and TOPSIS.

Data are float arrays with NaN for missing cells. A panel cube has shape ``(T, R, K)``
(years x regions x indicators); "pooled" statistics use all ``T*R`` region-years at once so
that scores of different years are comparable. See ``docs/methods.md`` for every formula,
its reference and the deliberate differences from peer implementations (COINr, pymcdm).
"""
