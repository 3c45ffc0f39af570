"""The web service: a FastAPI application with a REST API and a bilingual dashboard.

``create_app(run_dir, store_path)`` builds it; ``nqpf serve`` runs it with uvicorn. Analyses
plug in with :func:`nqpf.api.analyses.register_view`.
"""

from __future__ import annotations

from nqpf.api.analyses import AnalysisView, register_view
from nqpf.api.app import create_app

__all__ = ["AnalysisView", "create_app", "register_view"]
