"""The innovation qualifier: POST a text, or a batch of texts."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field, StringConstraints

from nqpf.api.tables import json_bytes

router = APIRouter(prefix="/api/v1/innovation", tags=["innovation"])

#: the longest text the qualifier accepts (characters)
MAX_TEXT = 20_000
Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT)]
#: the qualifiers (nqpf.innovation.qualify_fitted.MODELS, a test checks); hybrid is the default
#: (DEFAULT_MODEL there), as on the command line; kept literal so the app starts without loading the model
Model = Literal["hybrid", "rules", "fitted"]


class QualifyRequest(BaseModel):
    """A description of a firm, project or product, in Chinese or English."""

    text: Text = Field(description="the description / 描述文本")
    model: Model = Field("hybrid", description="hybrid (default), rules or fitted / 认定模型")


class BatchRequest(BaseModel):
    """Up to 100 descriptions."""

    texts: list[Text] = Field(min_length=1, max_length=100)
    model: Model = Field("hybrid", description="hybrid (default), rules or fitted / 认定模型")


@router.post("/qualify", summary="Does it qualify as new quality productive forces? / 新质生产力认定")
def qualify(body: QualifyRequest) -> Response:
    from nqpf.innovation.qualify_fitted import qualifier_for

    return Response(json_bytes(qualifier_for(body.model).qualify(body.text).to_dict()), media_type="application/json")


@router.post("/qualify/batch", summary="Qualify a batch of texts / 批量认定")
def qualify_batch(body: BatchRequest) -> Response:
    from nqpf.innovation.qualify_fitted import qualifier_for

    items = [r.to_dict() for r in qualifier_for(body.model).qualify_many(body.texts)]
    return Response(json_bytes({"total": len(items), "items": items}), media_type="application/json")
